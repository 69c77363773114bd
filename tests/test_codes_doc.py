"""The error codes a client may branch on are one list (hub/api/codes.py): docs/api.md's
table of codes is that list, every code the docs' errors table names is on it, and every
code on it is one the hub answers with somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from hub.api.codes import Codes, table

ROOT = Path(__file__).resolve().parents[1]
API_DOC = (ROOT / "docs" / "api.md").read_text()


def _section(begin: str, end: str) -> str:
    return API_DOC.split(begin, 1)[1].split(end, 1)[0]


def test_the_docs_table_of_codes_is_the_one_the_hub_answers_with() -> None:
    documented = _section("<!-- codes: from hub/api/codes.py -->\n", "<!-- codes: end -->")
    assert documented.strip() == table(), \
        "docs/api.md's table of codes is stale: paste in `python -m hub.api.codes`"


def test_every_code_the_errors_by_status_table_names_is_a_code_of_the_hub() -> None:
    rows = re.findall(r"^\| \d{3} \| (.*) \|$", _section("## Errors", "### Every code"), re.M)
    named = {c for row in rows for c in re.findall(r"`([a-z]+(?:_[a-z]+)+)`", row)}
    assert named and named <= set(Codes), f"not codes of the hub: {sorted(named - set(Codes))}"


def test_every_code_is_one_the_hub_answers_with() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "hub").rglob("*.py")
                       if p.name != "codes.py")
    unused = [c.name for c in Codes if f"Codes.{c.name}" not in source]
    assert not unused, f"codes the hub never answers with: {unused}"
