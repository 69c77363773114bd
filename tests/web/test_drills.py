"""Drills over the JSON API: a coordinator starts one, posts its sealed step, reads the
debrief as JSON and CSV and ends it; nobody else may, and a drill takes no real envelope."""

from __future__ import annotations

import base64

from hub.api.drills import drill_content
from hub.crypto import Urgency


async def test_a_coordinator_runs_a_drill_over_the_api(hub) -> None:
    coordinator = hub.world.members["ccr-coordinator"]
    r = await hub.client.get("/v1/drills/scenarios", headers=coordinator.auth)
    scenarios = {x["id"]: x for x in (await r.json())["scenarios"]}
    assert set(scenarios) == {"discharge-2am", "police-advocate", "shelter-counseling"}
    onward = scenarios["shelter-counseling"]["steps"][1]
    assert (onward["onward_from"], onward["purpose"]) == (1, "counseling")
    r = await hub.client.post("/v1/drills", json={"scenario": "discharge-2am"},
                              headers=coordinator.auth)
    assert r.status == 201, await r.text()
    drill = await r.json()
    step = drill["scenario"]["steps"][0]
    now = int(hub.clock.now())
    content = drill_content(step["type"], step["story"], step["needs"], sender=step["sender"],
                            now=now)
    nurse = hub.world.members[step["sender"]]
    sealed = hub.world.seal_drill(nurse, step["to"], step["type"], content,
                                  urgency=Urgency.EMERGENT, now=now)
    body = {"envelope": base64.b64encode(sealed.envelope).decode()}
    r = await hub.client.post(f"/v1/drills/{drill['id']}/referrals", json=body,
                              headers=coordinator.auth)
    assert r.status == 201, await r.text()
    view = await r.json()
    assert view["drill"] == drill["id"] and view["sender_agency"] == "mercy-hospital"

    intake = hub.world.members["harbor-intake"]
    r = await hub.client.get(f"/v1/referrals/{view['id']}", headers=intake.auth)
    assert (await r.json())["drill"] == drill["id"]

    # the sealed bytes, for the drill sender device that forwards a step onward: the
    # coordinator's token fetches them through the drill only, and nobody has opened it yet
    sealed_at = f"/v1/drills/{drill['id']}/referrals/{view['id']}/envelope"
    r = await hub.client.get(sealed_at, headers=coordinator.auth)
    assert r.status == 200 and await r.read() == sealed.envelope
    r = await hub.client.get(sealed_at, headers=intake.auth)
    assert r.status == 403
    r = await hub.client.get(sealed_at.replace(view["id"], "0" * 32), headers=coordinator.auth)
    assert r.status == 404

    r = await hub.client.get(f"/v1/drills/{drill['id']}/debrief.csv", headers=coordinator.auth)
    lines = (await r.text()).splitlines()
    assert lines[0].startswith("drill,scenario,step") and ",sent,mercy-nurse-1," in lines[1]
    assert not any(",opened," in line for line in lines)
    r = await hub.client.delete(f"/v1/drills/{drill['id']}", headers=coordinator.auth)
    assert r.status == 200 and (await r.json())["moments"][0]["what"] == "sent"
    r = await hub.client.get(f"/v1/referrals/{view['id']}", headers=intake.auth)
    assert r.status == 404
    r = await hub.client.get(f"/v1/drills/{drill['id']}", headers=coordinator.auth)
    assert r.status == 404 and (await r.json())["error"]["code"] == "unknown_drill"


async def test_only_coordinators_run_drills_and_only_with_drill_envelopes(hub) -> None:
    intake = hub.world.members["harbor-intake"]
    r = await hub.client.post("/v1/drills", json={"scenario": "discharge-2am"},
                              headers=intake.auth)
    assert r.status == 403
    coordinator = hub.world.members["ccr-coordinator"]
    r = await hub.client.post("/v1/drills", json={"scenario": "fire-drill"},
                              headers=coordinator.auth)
    assert r.status == 422 and (await r.json())["error"]["code"] == "unknown_scenario"
    drill = await (await hub.client.post("/v1/drills", json={"scenario": "discharge-2am"},
                                         headers=coordinator.auth)).json()
    nurse = hub.world.members["mercy-nurse-1"]
    real = hub.world.seal_referral(nurse, "harbor-house", "discharge-handoff", b"{}",
                                   urgency=Urgency.EMERGENT)
    r = await hub.client.post(f"/v1/drills/{drill['id']}/referrals",
                              json={"envelope": base64.b64encode(real.envelope).decode()},
                              headers=coordinator.auth)
    assert r.status == 422 and (await r.json())["error"]["code"] == "drill_envelope"
    wrong = hub.world.seal_drill(nurse, "harbor-house", "discharge-handoff", b"{}",
                                 urgency=Urgency.ROUTINE)
    r = await hub.client.post(f"/v1/drills/{drill['id']}/referrals",
                              json={"envelope": base64.b64encode(wrong.envelope).decode()},
                              headers=coordinator.auth)
    assert r.status == 422 and (await r.json())["error"]["code"] == "bad_drill_step"
