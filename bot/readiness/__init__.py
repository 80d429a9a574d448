"""Readiness: the /readiness self-assessment and the /timeline backward planner (domain logic, no discord).

- ``specialties``: Step 2 CK context by specialty (``data/readiness/specialties.yaml``), validated like all data.
- ``assessment``: the questions as renderable steps, and ``evaluate`` (answers -> result per area).
- ``timeline``: ``plan_timeline`` (target Match -> dated plan with warnings) and ``plan_to_ics``.
- ``options``: ``TimelineOptions.parse`` for the /timeline command's options.
- ``repository`` / ``service``: storage and the flow the cog drives (start, answer, back, cancel, finish, save).

Every cycle date comes from ``bot.cycle.CycleCalendar``; nothing here knows when ERAS opens or Match Day falls.
"""
