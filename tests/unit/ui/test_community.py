"""Ask the community's screens: inside Discord's limits with the longest question, the question read back exactly
from a screen, and the buttons' custom_ids short enough and read back after a restart by their own class only."""

from __future__ import annotations

import discord

from bot.knowledge.community import MAX_QUESTION, Marker, compose_post
from bot.knowledge.models import Stage
from bot.ui.community import (
    HelpChannelCheck,
    MarkOutcome,
    entry_embeds,
    help_channel_line,
    marked_text,
    offer_embed,
    preview_embeds,
    question_from,
    settings_embed,
)
from bot.ui.embeds import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.onboarding import Notice
from bot.ui.server_knowledge import typed_from
from cogs.community import (
    ITEMS,
    AskCommunityButton,
    CancelButton,
    ChoiceButton,
    HelpChannelSelect,
    MakeEntryButton,
    PostButton,
    StageSelect,
    TurnOffButton,
)

LONGEST = ("@everyone <@&123456789012345678> " * 10)[:MAX_QUESTION]
MENTION = "<@18446744073709551615>"


def assert_fits(embeds: list[discord.Embed]) -> None:
    assert len(embeds) <= 10 and sum(len(embed) for embed in embeds) <= EMBED_TOTAL_LIMIT
    for embed in embeds:
        assert len(embed.title or "") <= 256 and len(embed.description or "") <= DESCRIPTION_LIMIT
        for field in embed.fields:
            assert 1 <= len(str(field.value)) <= FIELD_VALUE_LIMIT and 1 <= len(str(field.name)) <= 256


def test_the_question_rides_on_the_screens_and_comes_back_as_typed() -> None:
    question = "Is @everyone's <@123456789012345678> **ERAS** photo ok?\nSecond line"
    offer = offer_embed(question)
    assert "@\u200beveryone" in str(offer.fields[0].value)  # shown without a ping
    assert question_from([discord.Embed(title="No curated answer yet"), offer]) == question
    post = compose_post(question, asker_mention=None, stage=Stage.ERAS)
    shown = preview_embeds(question, post, channel_mention="<#1>", forum=True, tag="ERAS", anonymous=True)
    assert question_from(shown) == question
    assert shown[1].description == post.content and shown[1].title == post.title
    assert question_from([discord.Embed(title="Something else")]) is None


def test_every_screen_fits_with_the_longest_values() -> None:
    post = compose_post(LONGEST, asker_mention=MENTION, stage=None)
    assert len(post.content) <= 2000
    checks = [
        None,
        HelpChannelCheck("<#1>", forum=True, gone=True),
        HelpChannelCheck(
            "<#18446744073709551615>",
            forum=True,
            missing=("View Channel", "Send Messages"),
            limited=(("Send Messages In Threads", "x" * 100), ("Manage Threads", "y" * 100), ("Manage Channels", "z")),
            tags_missing=("ERAS",) * 15,
        ),
    ]
    for check in checks:
        assert_fits([settings_embed(check, Notice("n" * 3000, problem=True))])
        assert help_channel_line(check)
    assert_fits([offer_embed(LONGEST)])
    assert_fits(preview_embeds(LONGEST, post, channel_mention="<#1>", forum=False, tag=None, anonymous=False))
    assert_fits(entry_embeds("t" * 100, "a" * 4000))
    outcome = MarkOutcome("https://discord.com/channels/1/2/3", post_problem="p" * 200, noted_in_thread=False)
    assert len(marked_text(outcome, Marker.MODERATOR, can_make_entry=True)) <= 2000


def test_make_it_an_entry_reads_back_what_the_reply_shows() -> None:
    answer = "Pinned in <#1183440317201907714>: @everyone should read it."
    assert typed_from(entry_embeds("When is SOAP?", answer)) == {"title": "When is SOAP?", "answer": answer}


def test_custom_ids_fit_and_are_read_back_by_their_own_class() -> None:
    items: list[discord.ui.DynamicItem[discord.ui.Item[discord.ui.View]]] = [
        HelpChannelSelect(2**64 - 1),
        TurnOffButton(disabled=True),
        AskCommunityButton(),
        ChoiceButton(Stage.MATCH_WEEK, anonymous=True, chosen=True),
        ChoiceButton(None, anonymous=False),
        StageSelect(Stage.MATCH_WEEK, anonymous=True),
        CancelButton(),
        PostButton(Stage.MATCH_WEEK, anonymous=False),
        PostButton(None, anonymous=True),
        MakeEntryButton(),
    ]
    assert {type(item) for item in items} == set(ITEMS)
    for item in items:
        custom_id = item.custom_id
        assert len(custom_id) <= 100, custom_id
        owners = [cls for cls in ITEMS if cls.__discord_ui_compiled_template__.fullmatch(custom_id)]
        assert owners == [type(item)], (custom_id, owners)
    select = StageSelect(None, anonymous=False).item
    assert isinstance(select, discord.ui.Select) and len(select.options) <= 25
    assert [option.value for option in select.options if option.default] == ["other"]
