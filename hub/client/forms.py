"""Referral types' forms as a client uses them: the JSON Schema the hub serves for a type
(its form in referral_types.toml, hub/api/forms.py) read back into a model that checks a
document before it is sealed, and a document with its narrative taken out (for a purge)."""

from __future__ import annotations

import json
from typing import Any

from hub.api.contents import Content
from hub.api.forms import model_from_schema, narrative_paths

from .api import HubApi


async def content_form(api: HubApi, kind: str) -> type[Content]:
    """The model of a referral type's documents, built from the schema the hub serves."""
    return model_from_schema(await api.content_schema(kind))


# What a reduced copy keeps of the case it carries (hub/api/casefile.py): the secret, so the
# survivor's referrals still link; the earlier handoffs and what went onward are narrative.
CASE_KEPT = ("format", "secret")


def without_narrative(content: bytes, schema: dict[str, Any]) -> bytes:
    """``content`` with every narrative field of ``schema`` taken out, and the attachments'
    names (their blobs go with the narrative: docs/envelope.md, 'Reduced copies'), and of
    its case all but the secret. Raises
    ValueError when the content is no JSON object (there are no codes to keep)."""
    try:
        doc = json.loads(content)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ValueError("this referral's content is not a form's document: there are no "
                         "codes to keep apart from its text")
    for path in [*narrative_paths(schema), "attachment_names"]:
        *parents, name = path.split(".")
        at: Any = doc
        for part in parents:
            at = at.get(part) if isinstance(at, dict) else None
        if isinstance(at, dict):
            at.pop(name, None)
    if isinstance(doc.get("case"), dict):  # the case's link stays; its record is narrative
        doc["case"] = {k: v for k, v in doc["case"].items() if k in CASE_KEPT}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
