"""Retrieval on the entries' own member questions, each asked of a search built without it: a check that needs no
labelled set, so it can judge a change to search without tuning on any evaluation round.

Run: .venv/bin/python bench/retrieval_heldout.py [--folds 5] [--confusions 20]

Each fold takes every N-th question of every entry (`questions:` in its front matter) out of the knowledge base,
builds search on what is left, and asks the questions taken out: right when the first answer is their own entry.
The questions were written to be varied (typos, Hindi in Latin letters, long stories), so the figure is lower than a
labelled set's; what matters is whether a change moves it. `--confusions` lists the entries most often answered in
another's place: siblings whose member questions should be sharpened against each other.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.content import load_content  # noqa: E402  (the checkout's own code, imported after its path is set)
from bot.knowledge.loader import KnowledgeBase  # noqa: E402
from bot.knowledge.search import KnowledgeSearch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="how many parts each entry's questions are split into")
    parser.add_argument("--confusions", type=int, default=20, help="how many confused pairs to list")
    args = parser.parse_args()
    data = REPO / "data"
    entries = load_content(data).knowledge.knowledge.entries
    asked = right = refused = 0
    confused: Counter[tuple[str, str]] = Counter()
    for fold in range(args.folds):
        held: list[tuple[str, str]] = []
        kept = []
        for entry in entries:
            held += [(entry.id, q) for i, q in enumerate(entry.questions) if i % args.folds == fold]
            others = [q for i, q in enumerate(entry.questions) if i % args.folds != fold]
            kept.append(entry.model_copy(update={"questions": others}))
        search = KnowledgeSearch.from_data_dir(KnowledgeBase(tuple(kept)), data)
        for entry_id, question in held:
            result = search.search(question)
            asked += 1
            if not result.answered:
                refused += 1
            elif result.hits[0].entry.id == entry_id:
                right += 1
            else:
                confused[(entry_id, result.hits[0].entry.id)] += 1
    print(
        f"held-out member questions: {asked} in {args.folds} folds | top-1 {right / asked:.1%}  "
        f"refused {refused / asked:.1%}"
    )
    for (own, answered), count in confused.most_common(args.confusions):
        print(f"  {count} x {own} answered as {answered}")


if __name__ == "__main__":
    main()
