"""Where the hub and docs/api.md (or docs/architecture.md) disagreed, as a client written
from the docs alone found: the status of consent refusals, publishing the same roster
again, the roster refusals' codes and words, and 403 where the docs promised 404."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from hub.crypto import AgencyRoot, make_roster

from .conftest import submit

DOCS = Path(__file__).resolve().parents[2] / "docs"
DEST, TYPE = "harbor-house", "discharge-handoff"


def _error_rows() -> dict[int, str]:
    """docs/api.md's table of errors: status -> what the row says."""
    rows = re.findall(r"^\| (\d{3}) \| (.*) \|$", (DOCS / "api.md").read_text(), re.M)
    return {int(status): text for status, text in rows}


async def test_every_consent_refusal_has_the_status_the_docs_give_it(hub) -> None:
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    now = int(hub.clock.now())
    cases = {"consent_wrong_agency": {"agency": "bridge-advocacy"},
             "consent_wrong_purpose": {"purposes": ["shelter-request"]},
             "consent_expired": {"expires_at": now - 1},
             "consent_too_long": {"expires_at": now + 200 * 86400},
             "consent_invalid": {"given_at": now + 3600}}
    answered = {}
    for code, change in cases.items():
        body = w.submit_body(w.seal_referral(nurse, DEST, TYPE, b"{}"), DEST, TYPE)
        body["consent"] |= change
        r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
        assert (await r.json())["error"]["code"] == code
        answered[code] = r.status
    rows = _error_rows()
    for code, status in answered.items():
        assert code in rows[status], f"{code} is answered {status}; docs/api.md says otherwise"
    assert not [s for s, text in rows.items() if "consent_" in text and s not in (403, 410)]


async def test_publishing_the_published_roster_again_is_the_documented_200(hub) -> None:
    admin = hub.world.first(DEST, "agency_admin")
    r = await hub.client.put(f"/v1/agencies/{DEST}/roster", json=hub.world.rosters[DEST].to_json(),
                             headers=admin.auth)
    assert r.status == 200 and (await r.json())["version"] == 1
    row = next(line for line in (DOCS / "api.md").read_text().splitlines()
               if line.startswith("| `PUT /v1/agencies/{agency}/roster`"))
    assert "`200`" in row and "again" in row


async def test_roster_refusals_have_house_style_codes_and_name_the_registered_root(hub) -> None:
    w = hub.world
    admin = w.first(DEST, "agency_admin")
    current = w.roster(DEST, w.now)

    def reissued(root: AgencyRoot, expires_at: int) -> dict:
        return make_roster(root, agency=DEST, version=2, issued_at=w.now - 7200,
                           expires_at=expires_at, people=list(current.body.people),
                           devices=list(current.devices.values()),
                           groups=list(current.body.groups)).to_json()

    answers = {}
    for name, doc in (("foreign root", reissued(AgencyRoot.generate(), w.now + 86400)),
                      ("expired", reissued(w.roots[DEST], w.now - 60))):
        r = await hub.client.put(f"/v1/agencies/{DEST}/roster", json=doc, headers=admin.auth)
        answers[name] = (r.status, (await r.json())["error"])
    assert answers["foreign root"][0] == 422
    assert answers["foreign root"][1]["code"] == "roster_bad_signature"
    assert "registered root" in answers["foreign root"][1]["message"]
    assert "pinned" not in answers["foreign root"][1]["message"]
    assert answers["expired"][:1] == (422,) and answers["expired"][1]["code"] == "roster_expired"
    for _, error in answers.values():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", error["code"]) and error["code"] in \
            _error_rows()[422]


async def test_parties_who_may_see_but_not_open_get_the_403_the_architecture_says(hub) -> None:
    w = hub.world
    nurse, point = w.first("mercy-hospital", "sender"), w.first(DEST, "point_person")
    rid, sealed = await submit(hub)
    reply = w.seal_reply(point, sealed.header.envelope_id, "mercy-hospital", TYPE, b"bed held")
    r = await hub.client.post(f"/v1/referrals/{rid}/replies", headers=point.auth, json={
        "envelope": base64.b64encode(reply.envelope).decode()})
    reply_id = (await r.json())["id"]
    own_envelope = await hub.client.get(f"/v1/referrals/{rid}/envelope", headers=nurse.auth)
    own_reply = await hub.client.get(f"/v1/referrals/{rid}/replies/{reply_id}",
                                     headers=point.auth)  # sealed to the hospital
    assert (own_envelope.status, own_reply.status) == (403, 403)
    access = (DOCS / "architecture.md").read_text().split("## Access")[1].split("\n## ")[0]
    said = " ".join(access.split())
    assert "the sender asking for its own envelope" in said and "gets 403" in said
    assert "the receiving agency for a reply sealed to the sender" in said
    assert "Anyone else gets the same 404" not in said
