"""A member's own dates (exams, interviews, deadlines): /mydates add, list, remove, calendar and share-in-recaps.

- ``models``: the kinds of dates, a date, and the validated options of the commands;
- ``repository``: the SQL (``my_dates``, ``my_dates_dm_pauses``, ``my_dates_sharing``, and the reminders' rows of
  ``deliveries``);
- ``service``: what the cog calls; ``reminders``: the feed that DMs the reminders (``bot.scheduling.runner``);
- ``personal_data``: their share of /mydata export and delete.

No discord import: the DM adapter and the screens are in ``bot/ui/mydates.py``, the commands in ``cogs/mydates.py``.
"""
