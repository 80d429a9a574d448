"""/privacy's summary fits a phone screen for every setting, and Details keeps every word of the full text."""

from __future__ import annotations

import pytest

from bot.privacy import BackupPolicy, privacy_sections
from bot.ui.privacy import SUMMARY_LIMIT, privacy_details_embed, privacy_summary, privacy_summary_embed

RETENTIONS = (None, 0, 1, 30, 365)
BACKUPS = (BackupPolicy(24, 7), BackupPolicy(1, 1), BackupPolicy(6, 7), BackupPolicy(0, 7), BackupPolicy(720, 1000))


@pytest.mark.parametrize("days", RETENTIONS)
@pytest.mark.parametrize("backups", BACKUPS)
def test_the_summary_fits_and_details_hold_the_whole_text(days: int | None, backups: BackupPolicy) -> None:
    summary = privacy_summary_embed(days, backups)
    assert len(summary) <= SUMMARY_LIMIT, len(summary)
    details = privacy_details_embed(days, backups)
    assert [(f.name, f.value) for f in details.fields] == list(privacy_sections(days, backups))
    assert len(details) <= 6000


def test_the_summary_states_the_periods_that_apply() -> None:
    text = privacy_summary(7, BackupPolicy(24, 7))
    assert "7 days (this server's setting), unless you come back" in text
    assert "30 days after your last answer" in text and "90 days, kept without your name" in text
    assert "Backups keep what you delete for up to 7 days." in text
    assert "1 day (this server's setting)" in privacy_summary(1)
    assert "soon after (this server keeps it 0 days)" in privacy_summary(0)
    assert "30 days unless it changed it" in privacy_summary(None)
    assert "up to 42 hours" in privacy_summary(None, BackupPolicy(6, 7))
    assert "I make no backups by myself." in privacy_summary(None, BackupPolicy(0, 7))
    for command in ("/mydata export", "/mydata delete", "/settings", "/progress user:"):
        assert command in text
