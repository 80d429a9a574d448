"""Retrieval quality on labelled question sets: top-1, top-3 and out-of-scope refusal, with every miss listed.

Run: .venv/bin/python bench/retrieval_score.py tests/retrieval/fresh/round1.yaml [more.yaml ...] [--misses]
     .venv/bin/python bench/retrieval_score.py --repo ../some-older-checkout FILE   (score another checkout's search)

A set is YAML with `in_scope: [{q, expect: [entry ids, best first]}]` and `out_of_scope: [q or {q}]`. A question is
right at top-1 when the first answer is one of `expect`, at top-3 when any of the first three is; a refused question
counts as wrong for both. An out-of-scope question counts as refused when search gives no answer. `--repo` imports
the search of another checkout (with its own data), which is how the baseline of a fresh round is measured on the
code that came before a change.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent


def _question(item: Any) -> str:
    return str(item["q"] if isinstance(item, dict) else item)


def score(path: Path, search: Any, show_misses: bool) -> str:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    in_scope, out_of_scope = data.get("in_scope", []), data.get("out_of_scope", [])
    top1 = top3 = refused_in_scope = 0
    misses: list[str] = []
    for item in in_scope:
        result = search(item["q"])
        ids = [h.entry.id for h in result.hits] if result.answered else []
        expected = set(item["expect"])
        top1 += bool(ids[:1] and ids[0] in expected)
        top3 += bool(expected & set(ids[:3]))
        refused_in_scope += not ids
        if not (ids[:1] and ids[0] in expected):
            got = ", ".join(ids) if ids else "refused (" + ", ".join(h.entry.id for h in result.hits[:2]) + ")"
            misses.append(f"  MISS {item['q']!r}\n       want {item['expect']} got {got} ({result.confidence:.2f})")
    answered = []
    for item in out_of_scope:
        result = search(_question(item))
        if result.answered:
            answered.append(f"  ANSWERED {_question(item)!r} -> {result.hits[0].entry.id} ({result.confidence:.2f})")
    n_in, n_out = len(in_scope) or 1, len(out_of_scope) or 1
    lines = [
        f"{path.name}: {len(in_scope)} in scope, {len(out_of_scope)} out of scope | "
        f"top-1 {top1 / n_in:.1%}  top-3 {top3 / n_in:.1%}  in-scope refused {refused_in_scope / n_in:.1%}  "
        f"out-of-scope refused {1 - len(answered) / n_out:.1%}"
    ]
    if show_misses:
        lines += misses + answered
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose search and data to score")
    parser.add_argument("--data", type=Path, help="the data directory (default: the checkout's data/)")
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    from bot.content import load_content  # the checkout's own code, imported after its path is set

    knowledge = load_content((args.data or repo / "data").resolve()).knowledge
    for path in args.files:
        print(score(path.resolve(), lambda q: knowledge.search(q, limit=3), args.misses))


if __name__ == "__main__":
    main()
