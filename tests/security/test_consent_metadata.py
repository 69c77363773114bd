"""Issue 17, 9: consent metadata is stored in clear beside the sealed envelope, so it must
hold nothing but codes, numbers and choices: purposes are the CCR's referral-type codes,
documented_by is a person of the sending agency, types are strict (given_at: true is not
1) and lengths are bounded. Each refusal changes nothing."""

from __future__ import annotations

import pytest

from tests.support.redis_scan import dump_values

DEST, TYPE = "harbor-house", "discharge-handoff"
CASES = {
    "free text in purposes": ({"purposes": [TYPE, "Jane Doe DOB 1990-01-01"]}, 422),
    "a purpose that is no referral type": ({"purposes": [TYPE, "housing-voucher"]}, 403),
    "documented by anyone": ({"documented_by": "nobody-here"}, 403),
    "documented by another agency's person": ({"documented_by": "harbor-intake"}, 403),
    "given_at true": ({"given_at": True}, 422),
    "given_at as text": ({"given_at": "1799999940"}, 422),
    "given_at a fraction": ({"given_at": 1799999940.5}, 422),
    "share_outcome as text": ({"share_outcome": "yes"}, 422),
    "a thousand purposes": ({"purposes": [TYPE] * 1000}, 422),
    "a long agency name": ({"agency": "h" * 5000}, 422),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_consent_metadata_holds_only_codes_and_is_refused_otherwise(hub, case) -> None:
    changes, status = CASES[case]
    w = hub.world
    nurse = w.first("mercy-hospital", "sender")
    sealed = w.seal_referral(nurse, DEST, TYPE, b"{}")
    body = w.submit_body(sealed, DEST, TYPE)
    body["consent"] |= changes
    before = await dump_values(hub.store.redis, hub.store.keys.prefix)
    r = await hub.client.post("/v1/referrals", json=body, headers=nurse.auth)
    assert r.status == status, await r.text()
    code = (await r.json())["error"]["code"]
    assert code == ("invalid_body" if status == 422 else "consent_invalid")
    after = await dump_values(hub.store.redis, hub.store.keys.prefix)
    audit = hub.store.keys.audit().encode()
    assert {k: v for k, v in after.items() if k != audit} == \
        {k: v for k, v in before.items() if k != audit}
    assert not any(b"Jane Doe" in v for v in after.values())


async def test_consent_documented_by_the_sender_for_its_types_is_accepted(hub) -> None:
    w = hub.world
    advocate = w.first("bridge-advocacy", "sender")
    sealed = w.seal_referral(advocate, DEST, "shelter-request", b"{}")
    body = w.submit_body(sealed, DEST, "shelter-request")
    body["consent"] |= {"documented_by": "bridge-lead",
                        "purposes": ["shelter-request", "advocacy-request"]}
    r = await hub.client.post("/v1/referrals", json=body, headers=advocate.auth)
    assert r.status == 201, await r.text()
