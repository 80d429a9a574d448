"""Peer study groups: daily check-ins, streaks in each member's own time zone, progress charts, weekly recaps.

``models`` (values and validated options), ``zones`` (IANA zones as people type them), ``streaks`` and
``schedule`` (pure time logic), ``recap`` and ``charts`` (pure presentation numbers), ``repository`` (SQL) and
``service`` (what the cog calls).
"""
