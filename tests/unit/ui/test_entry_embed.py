"""An answer's embed: its parts are built once per entry, and every /ask still shows the entry as it is now."""

from __future__ import annotations

from bot.content import Content
from bot.ui.embeds import entry_embed


def test_the_kept_parts_give_the_same_embed_every_time(content: Content) -> None:
    for entry in content.knowledge.knowledge.entries:
        first = entry_embed(entry, question="when is <@123> SOAP?").to_dict()
        assert entry_embed(entry, question="when is <@123> SOAP?").to_dict() == first
        assert first["author"]["name"] == "“when is <\u200b@123> SOAP?”"
        assert first["fields"][0]["name"] == "Sources" and first["footer"]["text"].startswith(entry.stage.label)
        assert "author" not in entry_embed(entry).to_dict()


def test_an_entry_loaded_again_shows_its_new_text(content: Content) -> None:
    entry = content.knowledge.knowledge.entries[0]
    entry_embed(entry)
    changed = entry.model_copy(update={"body": entry.body + "\n\nOne more paragraph."})
    assert entry_embed(changed).description == changed.body
    assert entry_embed(entry).description == entry.body
