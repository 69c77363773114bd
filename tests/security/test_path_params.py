"""Issue 17, 8: path and query numbers are parsed strictly. `str.isdigit()` then `int()`
answered 500 to '²' (%C2%B2: a digit to isdigit, not to int) and to a 5,000-digit index
(past int's limit), and read the Arabic-Indic '١' as attachment 1. ASCII digits of bounded
length are accepted; anything else is a clear 400."""

from __future__ import annotations

import pytest

from .conftest import submit

DEST = "harbor-house"
OCTETS = {"Content-Type": "application/octet-stream"}
ODD = {"superscript two": "%C2%B2", "5,000 digits": "1" * 5000,
       "arabic-indic one": "%D9%A1", "fullwidth one": "%EF%BC%91", "signed": "+1",
       "spaced": "%201", "underscored": "0_1", "negative": "-1", "empty-ish": "%00"}


@pytest.fixture
async def thread(hub) -> str:
    """A referral with attachments 0 and 1 uploaded."""
    nurse = hub.world.first("mercy-hospital", "sender")
    rid, sealed = await submit(hub, attachments=(b"zero", b"one"))
    for i in (0, 1):
        r = await hub.client.put(f"/v1/referrals/{rid}/attachments/{i}",
                                 data=bytes(sealed.attachments[i]),
                                 headers={**nurse.auth, **OCTETS})
        assert r.status == 201
    return rid


@pytest.mark.parametrize("odd", list(ODD))
async def test_an_attachment_index_is_ascii_digits_or_a_clear_400(hub, thread, odd) -> None:
    w = hub.world
    point, nurse = w.first(DEST, "point_person"), w.first("mercy-hospital", "sender")
    path = f"/v1/referrals/{thread}/attachments/{ODD[odd]}"
    for r in (await hub.client.get(path, headers=point.auth),
              await hub.client.put(path, data=b"x", headers={**nurse.auth, **OCTETS})):
        assert r.status == 400, (odd, r.status, await r.text())
        assert (await r.json())["error"]["code"] == "bad_index"
    assert (await hub.client.get(f"/v1/referrals/{thread}/attachments/1",
                                 headers=point.auth)).status == 200  # the real one still is


@pytest.mark.parametrize("odd", ["%D9%A1", "%C2%B2", "1" * 5000, "1_0", "%201"])
async def test_a_listing_offset_is_ascii_digits_or_a_clear_400(hub, odd) -> None:
    nurse = hub.world.first("mercy-hospital", "sender")
    r = await hub.client.get(f"/v1/outbox?offset={odd}&limit=5", headers=nurse.auth)
    assert r.status == 400 and "digits 0-9" in (await r.json())["error"]["message"]
