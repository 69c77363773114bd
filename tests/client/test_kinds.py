"""Every kind of sealed content has a JSON Schema generated from its model, served at
/v1/schemas/{kind}.json, against which the SDK's own documents are valid; and a handoff a
third party sealed without its `kind` still opens as a handoff, safety first."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from hub.api.contents import json_schema
from hub.client import GenericReferral, Reply, parse_content
from hub.client.reading import as_text

from .test_sdk import DEST, TYPE, agents, handoff  # noqa: F401 (agents is a fixture)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


async def schema(hub, kind: str) -> dict:
    answer = await hub.client.get(f"/v1/schemas/{kind}.json")
    assert answer.status == 200 and answer.content_type == "application/schema+json"
    return await answer.json()


async def test_every_referral_type_and_reply_has_a_schema(hub) -> None:
    listed = (await (await hub.client.get("/v1/schemas")).json())["kinds"]
    codes = {t.code for t in hub.services.ccr.referral_types}
    assert set(listed) == codes | {"reply"}
    for kind, url in listed.items():
        assert url.endswith(f"/v1/schemas/{kind}.json")
        doc = await schema(hub, kind)
        assert doc["$id"] == url and doc["required"][0] == "kind"


@pytest.mark.parametrize(("kind", "document"), [
    (TYPE, handoff()),
    ("reply", Reply(text="Bed held until 9pm")),
    ("counseling-referral", GenericReferral(kind="counseling-referral", text="evenings only",
                                            attachment_names=("letter.pdf",))),
])
async def test_the_sdks_documents_are_valid_against_the_published_schema(hub, kind,
                                                                         document) -> None:
    validator = jsonschema_rs.validator_for(await schema(hub, kind))
    written = json.loads(document.to_bytes())
    assert validator.is_valid(written), list(validator.iter_errors(written))
    for broken in ({**written, "kind": "something-else"}, {**written, "extra": 1},
                   {k: v for k, v in written.items() if k != "kind"}):
        assert not validator.is_valid(broken)


async def test_an_unknown_kind_is_a_404_naming_the_kinds(hub) -> None:
    answer = await hub.client.get("/v1/schemas/no-such-kind.json")
    assert answer.status == 404
    assert "discharge-handoff" in (await answer.json())["error"]["message"]


@pytest.mark.parametrize("kind", ["discharge-handoff", "reply", "counseling-referral"])
def test_the_schemas_in_docs_are_the_generated_ones(kind: str) -> None:
    assert json.loads((DOCS / f"{kind}.json").read_text()) == json_schema(kind)


async def test_a_handoff_sealed_without_its_kind_still_opens_safety_first(
        hub, agents) -> None:  # noqa: F811
    w = hub.world
    third_party = json.loads(handoff().to_bytes())
    del third_party["kind"]
    sealed = w.seal_referral(w.first("mercy-hospital", "sender"), DEST, TYPE,
                             json.dumps(third_party).encode())
    sent = await agents["nurse"].api.submit(sealed.envelope, w.consent(DEST, TYPE))
    received = await agents["point"].open(sent.id)
    assert parse_content(received.content) == third_party  # on its own, just JSON
    parsed = received.parsed()  # read as the envelope's referral type says
    assert parsed == handoff()
    text = as_text(parsed)
    assert text.startswith("SAFETY FIRST\n  Do NOT leave a voicemail.")


def test_a_reply_without_its_kind_reads_as_a_reply() -> None:
    assert parse_content(b'{"text": "on our way"}', "reply") == Reply(text="on our way")
    assert parse_content(b'{"text": "on our way"}') == {"text": "on our way"}
    assert parse_content(b'{"kind": "reply", "text": ""}') == {"kind": "reply", "text": ""}


async def test_me_says_whose_token_it_is_and_the_agency_zone(hub) -> None:
    point = hub.world.first(DEST, "point_person")
    answer = await hub.client.get("/v1/me", headers=point.auth)
    me = await answer.json()
    assert (me["person"], me["agency"], me["timezone"]) == (point.person, DEST,
                                                           "America/Chicago")
    assert "point_person" in me["roles"] and me["agency_name"].startswith("Harbor House")
