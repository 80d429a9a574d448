"""The Discord side of the scheduled features: what the domain services' ports (``Messenger``, ``EventGateway``,
``PromptSender``, ``NudgeSender``, ``MemberDirectory``, ``GroupQuizPoster``) need from Discord, built in ``bot/app.py``
with the services. Discord's answers become the delivery machinery's terms (``bot.ui.delivery_errors``). The /mydates
reminders' sender is still ``bot.ui.mydates.DiscordReminderSender``, beside the screens it sends.

They take a ``discord.Client``, never ``ImgBot``: ``bot.app`` imports them, and a module of theirs that named it would
close an import cycle (tests/unit/project/test_architecture.py).
"""
