"""/ask's replies when nothing answers: what the member is told depends on where they asked and how, and what was
said to the bot rather than asked of it is no unanswered question."""

from __future__ import annotations

from bot.content import Content
from cogs.knowledge import no_answer_embed


def test_where_a_refused_question_goes_is_said_as_it_is(content: Content) -> None:
    question = "best pizza in new york"
    answer = content.knowledge.answer(question)
    assert answer.entry is None and not answer.result.chat

    in_server = no_answer_embed(question, answer).description or ""
    assert "so moderators can add it" in in_server

    # A DM's question is kept for the bot's maintainers (`imgbot kb report`), never shown to a server's moderators.
    in_dm = no_answer_embed(question, answer, in_server=False).description or ""
    assert "moderators" not in in_dm and "people who keep the knowledge base" in in_dm

    private = no_answer_embed(question, answer, noted=False).description or ""
    assert "was not kept" in private and "noted" not in private


def test_greetings_and_thanks_are_chat_not_questions(content: Content) -> None:
    for said in ("hello", "thank you so much", "hi everyone", "congrats to everyone who matched!!"):
        answer = content.knowledge.answer(said)
        assert answer.entry is None and answer.result.chat and not answer.suggestions, said
    assert not content.knowledge.answer("hello, when is soap?").result.chat
