"""How often /ask's answer, or one of the buttons under it, is the entry a member wanted.

Run: .venv/bin/python bench/answer_buttons.py tests/retrieval/fresh/round17.yaml [more.yaml ...] [--repo CHECKOUT]

Under an answer the bot offers three entries as buttons (``KnowledgeService.offered_with``): the entries search
ranked next for the question when they come close to the answer (RUNNER_UP_SHARE), then the answer's own related
entries. When search puts a sibling first, the entry the member wanted is often second: a button makes it one click
away. For each labelled set (the format of bench/retrieval_score.py; in-scope questions with an `expect` only) this
prints, over all of them: the share answered right (top-1), the share whose answer or one of its buttons is right,
the same with the answer's related entries alone as buttons (the rule before runner-ups were offered), and the share
the bot did not answer but whose reply offers the wanted entry among the topics close to the question.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose search and data to measure")
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    from bot.content import load_content  # the checkout's own code, imported after its path is set

    service = load_content(repo / "data").knowledge
    totals = [0, 0, 0, 0, 0]
    for path in args.files:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions = [item for item in data.get("in_scope", []) if item["expect"]]
        right = one_click = related_only = suggested = 0
        for item in questions:
            answer = service.answer(item["q"])
            wanted = set(item["expect"])
            if answer.entry is None:
                # Not confident: the reply offers the closest topics as buttons instead ("Did you mean").
                suggested += bool(wanted & {entry.id for entry in answer.suggestions})
                continue
            offered = {entry.id for entry in answer.offered}
            related = {entry.id for entry in service.related_to(answer.entry)}
            right += answer.entry.id in wanted
            one_click += answer.entry.id in wanted or bool(wanted & offered)
            related_only += answer.entry.id in wanted or bool(wanted & related)
        counts = (len(questions), right, one_click, related_only, suggested)
        print(line(path.name, *counts))
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
    if len(args.files) > 1:
        print(line("all together", *totals))


def line(name: str, questions: int, right: int, one_click: int, related_only: int, suggested: int) -> str:
    n = questions or 1
    return (
        f"{name}: {questions} questions with a labelled entry | top-1 {100 * right / n:.1f}%  "
        f"answer or a button {100 * one_click / n:.1f}%  (related entries alone as buttons: "
        f"{100 * related_only / n:.1f}%); not answered but offered as a topic close to the question "
        f"{100 * suggested / n:.1f}%"
    )


if __name__ == "__main__":
    main()
