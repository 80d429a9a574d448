"""Onboarding: the one welcome a server gets when the bot joins it, and the choices /setup offers.

``welcome`` records welcomes so that each server gets one, ever; ``setup`` holds the reminder choices of /setup's
announcement step. The settings /setup changes belong to their features (``bot.milestones``, ``bot.studygroups``)
and are changed through their services, never here.
"""
