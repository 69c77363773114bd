"""Pin bundles, in Python and in the browser's JavaScript: made by an agency admin over the
roots they pinned, opened only when the signing root matches the one fingerprint read
aloud (either form) and the signature verifies, all or nothing into a trust store; and a
device key file written before its X25519 secret key was renamed still opens in both."""

from __future__ import annotations

import base64
import json

import pytest

from hub.crypto import (
    AgencyRoot,
    DeviceKeys,
    TrustError,
    TrustStore,
    import_device_keys,
    make_pin_bundle,
    numeric_fingerprint,
    open_pin_bundle,
    short_fingerprint,
)

from .test_js_interop import js, node, ok  # noqa: F401 (node is a fixture)

NOW = 1_800_000_000
OWN, PARTNERS = AgencyRoot.generate(), {"mercy-hospital": AgencyRoot.generate().public,
                                        "bridge-advocacy": AgencyRoot.generate().public}


def bundle() -> bytes:
    return make_pin_bundle(OWN, agency="harbor-house", pins=PARTNERS, issued_at=NOW)


def forged(data: bytes, change) -> bytes:
    doc = json.loads(data)
    body = json.loads(base64.b64decode(doc["bundle"]))
    change(body)
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({**doc, "bundle": base64.b64encode(raw).decode()}).encode()


@pytest.mark.parametrize("fingerprint", [short_fingerprint(OWN.public),
                                         numeric_fingerprint(OWN.public)],
                         ids=["short", "numeric"])  # the keys are new each run
def test_a_bundle_opens_against_its_agencys_fingerprint(fingerprint: str) -> None:
    opened = open_pin_bundle(bundle(), fingerprint)
    assert (opened.agency, opened.issued_at) == ("harbor-house", NOW)
    assert opened.pins == {**PARTNERS, "harbor-house": OWN.public}


def swap_partner(body: dict) -> None:
    body["pins"]["mercy-hospital"] = body["root"]


def drop_own(body: dict) -> None:
    del body["pins"]["harbor-house"]


@pytest.mark.parametrize(("data", "fingerprint", "reason"), [
    (bundle(), short_fingerprint(PARTNERS["mercy-hospital"]), "fingerprint-mismatch"),
    (forged(bundle(), swap_partner), short_fingerprint(OWN.public), "bundle-signature"),
    (forged(bundle(), drop_own), short_fingerprint(OWN.public), "bundle-signature"),
    (b"not json", short_fingerprint(OWN.public), "bad-bundle"),
    (b'{"bundle": "AA==", "signature": "AA=="}', short_fingerprint(OWN.public), "bad-bundle"),
], ids=["another-agency", "root-swapped", "own-dropped", "not-json", "not-a-body"])
def test_a_bundle_is_refused_by_python_and_javascript_alike(node: str, data: bytes,  # noqa: F811
                                                            fingerprint: str, reason: str):
    with pytest.raises(TrustError) as refused:
        open_pin_bundle(data, fingerprint)
    [answer] = js(node, {"op": "open_pin_bundle", "file": data.decode(errors="replace"),
                         "fingerprint": fingerprint})
    assert (refused.value.reason, answer.get("reason")) == (reason, reason)


def test_javascript_opens_a_python_bundle_to_the_same_roots(node: str) -> None:  # noqa: F811
    [answer] = js(node, {"op": "open_pin_bundle", "file": bundle().decode(),
                         "fingerprint": numeric_fingerprint(OWN.public)})
    assert ok(answer)["agency"] == "harbor-house"
    assert answer["pins"] == {a: r.hex() for a, r in
                              {**PARTNERS, "harbor-house": OWN.public}.items()}


def test_a_bundle_pins_all_or_nothing() -> None:
    opened = open_pin_bundle(bundle(), short_fingerprint(OWN.public))
    store = TrustStore()
    store.pin("mercy-hospital", PARTNERS["mercy-hospital"])
    assert store.pin_all(opened.pins) == ["bridge-advocacy", "harbor-house"]
    clashing = TrustStore()
    clashing.pin("bridge-advocacy", OWN.public)
    with pytest.raises(TrustError) as conflict:
        clashing.pin_all(opened.pins)
    assert conflict.value.reason == "pin-conflict" and set(clashing.roots) == {"bridge-advocacy"}


def test_a_key_file_with_the_old_secret_key_name_still_opens(node: str) -> None:  # noqa: F811
    keys = DeviceKeys.generate()
    secrets = {"box_seed_secret": base64.b64encode(keys.box_secret).decode(),
               "sign_seed": base64.b64encode(keys.sign_seed).decode()}
    old = json.dumps({"format": "ccr-key/1", "kind": "device", "kdf": "none",
                      "secrets": json.dumps(secrets, sort_keys=True)})
    assert import_device_keys(old.encode()).box_public == keys.box_public
    [answer] = js(node, {"op": "import_device_keys", "file": old})
    assert ok(answer)["box_public"] == keys.box_public.hex()
