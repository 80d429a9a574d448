"""Observability: log records tied to their interaction or job, the bot's status, and its heartbeat.

No discord import here; bot/app.py wires it to discord.py (the interaction parser, latency, guilds).
"""
