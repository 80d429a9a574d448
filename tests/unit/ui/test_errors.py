"""How the error path words a refusal that names things (``bot.validation.Refusal``): the domain writes plain text
with fields, the screen formats the fields (a name quoted safely and in bold, a channel as its link)."""

from __future__ import annotations

from bot.ui.errors import describe_user_error, user_message
from bot.validation import ChannelRef, Refusal, UserInputError


def test_a_refusal_shows_names_in_bold_and_channels_as_links() -> None:
    refusal = Refusal("{name} is not archived: it is running in {channel}.", name="Step 1 crew", channel=ChannelRef(42))
    assert describe_user_error(refusal) == "**Step 1 crew** is not archived: it is running in <#42>."


def test_a_name_is_quoted_safely_and_shortened() -> None:
    # Markdown in a group's name is shown as typed, a ping in it never pings, and a long name is cut at 60.
    refusal = Refusal("You are not in {name}.", name="Step 1 *crew* @everyone")
    assert describe_user_error(refusal) == "You are not in **Step 1 \\*crew\\* @\u200beveryone**."
    long = user_message(Refusal("{name}", name="x" * 70))
    assert long == f"**{'x' * 59}…**"


def test_several_names_are_listed_each_in_bold() -> None:
    refusal = Refusal("You are in several groups ({names}).", names=("Step 1", "Step 2"))
    assert user_message(refusal) == "You are in several groups (**Step 1**, **Step 2**)."


def test_as_text_a_refusal_has_no_discord_markup() -> None:
    """What logs and tests read: names in quotes, a channel by its id."""
    refusal = Refusal("{other} posts in {channel} now; {name} is archived.", other="A", name="B", channel=ChannelRef(7))
    assert str(refusal) == '"A" posts in channel 7 now; "B" is archived.'
    assert isinstance(refusal, UserInputError)


def test_any_other_user_error_is_shown_as_written() -> None:
    assert (
        user_message(UserInputError("Pick a time zone, e.g. `Europe/Paris`."))
        == "Pick a time zone, e.g. `Europe/Paris`."
    )
