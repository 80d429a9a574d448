"""The options of the knowledge commands, validated before anything else looks at them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from bot.text import has_mention, has_words, remove_mentions, strip_invisible

MAX_QUESTION_CHARS = 300


class AskOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    question: str
    private: bool = False

    @field_validator("question")
    @classmethod
    def _meaningful(cls, value: str) -> str:
        text = " ".join(strip_invisible(value).split())
        if len(text) > MAX_QUESTION_CHARS:
            raise ValueError(f"Please keep the question under {MAX_QUESTION_CHARS} characters.")
        if not text:
            raise ValueError("The question is empty. Type it in words, for example: `when does ERAS open?`")
        without_mentions = remove_mentions(text)
        if has_mention(text) and not has_words(without_mentions):
            raise ValueError("I can't answer a mention. Type your question in words, for example: `what is SOAP?`")
        if not has_words(without_mentions):
            raise ValueError("I need words to search with, not only symbols or emoji. Try: `is Step 1 pass/fail?`")
        return " ".join(without_mentions.split())


class TopicOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str

    @field_validator("name")
    @classmethod
    def _present(cls, value: str) -> str:
        text = " ".join(strip_invisible(value).split())
        if not has_words(text):
            raise ValueError("Pick a topic from the list that appears as you type, for example `SOAP`.")
        return text[:100]
