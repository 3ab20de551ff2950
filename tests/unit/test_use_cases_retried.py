"""Every use case that opens its own transaction is run again whole when the database aborts it.

On a Galera cluster a commit can fail certification (1213) and must be retried whole: a use
case (`db` first, `async with db.sessions.begin()` inside) without `@retried` would surface that
as an error to the person instead (services/db.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"


def _use_cases_without_retry() -> list[str]:
    found = []
    for path in sorted(SERVICES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            if not isinstance(node, ast.AsyncFunctionDef) or not node.args.args:
                continue
            if node.args.args[0].arg != "db":
                continue
            if "sessions.begin()" not in (ast.get_source_segment(text, node) or ""):
                continue
            if "retried" not in {ast.unparse(d) for d in node.decorator_list}:
                found.append(f"{path.name}:{node.name}")
    return found


def test_every_use_case_opening_a_transaction_is_retried() -> None:
    assert _use_cases_without_retry() == []
