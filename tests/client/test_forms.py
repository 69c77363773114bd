"""A referral type's form in referral_types.toml becomes the JSON Schema the hub serves, and
the SDK checks a document against that schema before sealing it: hidden fields are refused,
a renamed field is called by its new name, an optional one may be left out. A type with no
form keeps its schema exactly as it was."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.api.contents import DischargeHandoff, json_schema
from hub.api.forms import Form, form_schema, model_from_schema
from hub.build import build_services
from hub.client import Agent, HubApi, consent_for
from hub.client.forms import content_form
from hub.client.reading import as_text
from hub.config import Settings
from hub.crypto import TrustStore, short_fingerprint
from hub.errors import ConfigError
from hub.routing.ccr import load_ccr
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from tests.client.forms_support import FORM_TYPE, RENAMED, ccr_with_form, shelter_document

DEST = "harbor-house"


@pytest.fixture
async def form_hub(aiohttp_client, store, clock, redis_url, tmp_path):
    settings = Settings(redis_url=redis_url, ccr_dir=ccr_with_form(tmp_path / "ccr"))
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    url = str(client.make_url("")).rstrip("/")
    agents = []
    for who in (world.first("mercy-hospital", "sender"), world.first(DEST, "point_person")):
        api = HubApi(url, who.token)
        trust = TrustStore()
        for agency, root in world.roots.items():
            trust.pin(agency, root.public, fingerprint=short_fingerprint(root.public))
        agents.append(Agent(api, who.device, trust, clock=clock.now))
    yield client, agents, clock
    for agent in agents:
        await agent.api.close()


async def test_the_served_schema_follows_the_form(form_hub) -> None:
    client, _, _ = form_hub
    schema = await (await client.get(f"/v1/schemas/{FORM_TYPE}.json")).json()
    props = schema["properties"]
    assert "pets" not in props and "date_of_birth" not in props["survivor"]["properties"]
    assert props["summary"]["title"] == RENAMED
    assert "discharge_at" not in schema["required"] and props["kind"]["const"] == FORM_TYPE
    unchanged = await (await client.get("/v1/schemas/discharge-handoff.json")).json()
    assert {k: v for k, v in unchanged.items() if k != "$id"} == json_schema("discharge-handoff")


async def test_a_form_type_is_checked_from_the_schema_sealed_and_opened(form_hub) -> None:
    _, (nurse, point), clock = form_hub
    model = await content_form(nurse.api, FORM_TYPE)
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**shelter_document("x"), "pets": True})
    assert refused.value.errors()[0]["loc"] == ("pets",)
    content = model.model_validate(shelter_document("needs a ground-floor room"))
    consent = consent_for(DEST, FORM_TYPE, documented_by="mercy-nurse-1", now=int(clock.now()))
    sent = await nurse.send(DEST, FORM_TYPE, content, consent)
    received = await point.open(sent.id)
    text = as_text(received.parsed(), await point.api.content_schema(FORM_TYPE))
    assert text.startswith("SAFETY FIRST") and f"{RENAMED}: needs a ground-floor room" in text
    assert "pets" not in text.lower()


def test_a_type_without_a_form_keeps_its_model() -> None:
    rebuilt = model_from_schema(json_schema("discharge-handoff"))
    doc = {**shelter_document("s"), "kind": "discharge-handoff", "discharge_at": "2027-01-15"}
    assert rebuilt.model_validate(doc).to_bytes() == \
        DischargeHandoff.model_validate(doc).to_bytes()


def test_a_free_text_form_may_rename_its_text_for_any_type() -> None:
    form = Form.model_validate({"base": "text", "fields": {"text": {"label": "Notes"}}})
    schema = form_schema("discharge-handoff", form)
    assert set(schema["properties"]) == {"kind", "text", "attachment_names"}
    assert schema["properties"]["text"]["title"] == "Notes"
    assert schema["properties"]["kind"] == {"const": "discharge-handoff", "title": "Kind",
                                            "description": "this referral type's code"}


def test_a_form_naming_no_field_stops_start_up(tmp_path) -> None:
    directory = ccr_with_form(tmp_path / "ccr")
    types = directory / "referral_types.toml"
    types.write_text(types.read_text().replace("pets = {", "pet = {"))
    with pytest.raises(ConfigError, match="referral_types.toml.*no field 'pet'"):
        load_ccr(directory)
    with pytest.raises(ValueError, match="no field 'kind'"):
        form_schema("x", Form.model_validate({"fields": {"kind": {"hidden": True}}}))


def test_a_reduced_copy_keeps_the_case_secret_and_lets_the_record_go() -> None:
    """A purge keeps what links the survivor's referrals (the case secret) and takes the
    earlier agencies' handoffs with the narrative."""
    from hub.api.casefile import Forwarding, RecordStep, attach, detach, new_case
    from hub.client.forms import without_narrative

    step = RecordStep(referral="a" * 32, sender="mercy-hospital", destination="harbor-house",
                      type="discharge-handoff", sent_at=1, content={"summary": "earlier story"})
    case = new_case().model_copy(update={
        "record": (step,), "forwarding": Forwarding(purpose="counseling", covers=("*",))})
    content = attach(b'{"summary":"long story","needs":["shelter"]}', case)
    schema = {"properties": {"summary": {"x-narrative": True}}}
    kept, carried = detach(without_narrative(content, schema))
    assert carried is not None and carried.secret == case.secret
    assert (carried.record, carried.forwarding) == ((), None)
    assert b"story" not in kept
