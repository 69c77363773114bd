"""Every process setting is documented, once, from the model (hub/config.py): docs/
operations.md's table of settings is the one the model writes, and no setting goes without
saying what it does."""

from __future__ import annotations

from pathlib import Path

from hub.config import Settings, settings_table

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


def test_the_docs_table_of_settings_is_the_one_the_model_writes() -> None:
    documented = OPERATIONS.split("<!-- settings: from hub/config.py -->\n", 1)[1]
    documented = documented.split("<!-- settings: end -->", 1)[0]
    assert documented.strip() == settings_table(), \
        "docs/operations.md's table of settings is stale: paste in `python -m hub.config`"


def test_every_setting_says_what_it_does() -> None:
    bare = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not bare, f"settings without a description (Field(description=...)): {bare}"
