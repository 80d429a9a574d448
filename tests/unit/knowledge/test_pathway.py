"""data/pathway.yaml: eight stages whose steps are the whole road, and precise errors for a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content
from bot.datafiles import DataFileError
from bot.knowledge.pathway import MAX_STEPS_PER_STAGE, load_pathway, steps_of
from cogs.knowledge import pathway_embed, pathway_options, stage_embed


def test_the_road_has_eight_stages_of_a_few_steps_each(content: Content) -> None:
    service = content.knowledge
    stages = service.pathway_stages
    assert len(stages) == 8 and [s.number for s in stages] == list(range(1, 9))
    assert all(1 <= len(s.steps) <= MAX_STEPS_PER_STAGE for s in stages)
    steps = service.pathway_steps
    assert steps == steps_of(stages) and len(steps) == 24
    assert [s.number for s in steps] == list(range(1, 25))
    assert len({s.entry.id for s in steps}) == 24
    # What /pathway and a stage show fit Discord, and the list is one short line per stage.
    embed = pathway_embed(service)
    assert len((embed.description or "").splitlines()) == 8 and len(embed) < 1000
    for stage in stages:
        assert len(stage_embed(stage, len(stages))) <= 6000
    options = pathway_options(stages)
    assert all(len(label) <= 100 and len(description) <= 100 for label, _, description in options)


def test_unknown_repeated_and_too_many_steps_are_named(tmp_path: Path, content: Content) -> None:
    path = tmp_path / "pathway.yaml"
    path.write_text(
        "stages:\n"
        "  - stage: First stage\n"
        "    steps:\n"
        "      - {entry: step-1, step: Pass Step 1}\n"
        "      - {entry: no-such-entry, step: Something}\n"
        "  - stage: Second stage\n"
        "    steps:\n"
        "      - {entry: step-1, step: Again}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as caught:
        load_pathway(path, content.knowledge.knowledge)
    text = str(caught.value)
    assert "stages[0].steps[1].entry" in text and "unknown entry id 'no-such-entry'" in text
    assert "stages[1].steps[0].entry" in text and "'step-1' is listed twice" in text
    six = "".join(f"      - {{entry: e{n}, step: Step {n}}}\n" for n in range(6))
    path.write_text(f"stages:\n  - stage: Too long\n    steps:\n{six}", encoding="utf-8")
    with pytest.raises(DataFileError, match="at most 5"):
        load_pathway(path, content.knowledge.knowledge)
