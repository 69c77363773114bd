"""The FHIR facade over a running hub with the example CCR, and two SMART Backend
Services clients registered the way an operator does (a TOML file naming each client's
JWKS): Mercy's EHR and Harbor House's case-management system, each with its own EC P-384
key."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hub.build import build_services
from hub.config import Settings
from hub.crypto import ReceiptStatus, sign_receipt
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from tests.conftest import EXAMPLE, Hub

TOKEN_URL = "http://127.0.0.1:8080/fhir/R4/auth/token"
DEST, TYPE = "harbor-house", "discharge-handoff"


@dataclass
class Client:
    id: str
    key: ec.EllipticCurvePrivateKey
    kid: str

    def assertion(self, *, now: float, aud: str = TOKEN_URL, key=None, jti: str | None = None,
                  life: int = 240) -> str:
        claims = {"iss": self.id, "sub": self.id, "aud": aud, "exp": int(now) + life,
                  "jti": jti or uuid.uuid4().hex}
        return jwt.encode(claims, key or self.key, algorithm="ES384",
                          headers={"kid": self.kid})


def _jwks(key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [public | {"kid": kid, "alg": "ES384", "use": "sig"}]})


def register(tmp_path: Path) -> tuple[Path, dict[str, Client]]:
    clients = {}
    entries = []
    for cid, agency, person in (("mercy-ehr", "mercy-hospital", "mercy-ehr"),
                                ("harbor-cms", "harbor-house", "harbor-intake")):
        key = ec.generate_private_key(ec.SECP384R1())
        (tmp_path / f"{cid}.jwks.json").write_text(_jwks(key, f"{cid}-1"))
        (tmp_path / f"{cid}.secret").write_text(f"hook-secret-of-{cid}\n")
        clients[cid] = Client(cid, key, f"{cid}-1")
        entries.append(f'[[client]]\nid = "{cid}"\nagency = "{agency}"\nacts_as = "{person}"\n'
                       'scopes = ["system/Task.read", "system/Task.write", '
                       '"system/Subscription.read", "system/Subscription.write"]\n'
                       f'jwks_file = "{cid}.jwks.json"\nwebhook_secret_file = "{cid}.secret"\n')
    path = tmp_path / "smart-clients.toml"
    path.write_text("\n".join(entries))
    return path, clients


@dataclass
class FhirHub(Hub):
    smart: dict[str, Client]

    async def token(self, client: str, scope: str = "") -> str:
        form = {"grant_type": "client_credentials", "client_assertion_type":
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.smart[client].assertion(now=self.clock.now()),
                "scope": scope}
        r = await self.client.post("/fhir/R4/auth/token", data=form)
        assert r.status == 200, await r.text()
        return (await r.json())["access_token"]

    async def submitted(self, sender: str = "mercy-hospital", dest: str = DEST,
                        kind: str = TYPE):
        w = self.world
        nurse = w.first(sender, "sender")
        sealed = w.seal_referral(nurse, dest, kind, b"{}")
        r = await self.client.post("/v1/referrals", json=w.submit_body(sealed, dest, kind),
                                   headers=nurse.auth)
        assert r.status == 201, await r.text()
        return sealed, sealed.header.envelope_id.hex()


def receipt(member, sealed, status=ReceiptStatus.ACKNOWLEDGED) -> str:
    raw = sign_receipt(member.device, envelope_id=sealed.header.envelope_id,
                       header_hash=sealed.header.hash, status=status, at=1_800_000_000)
    return base64.b64encode(raw).decode()


@pytest.fixture
async def fhir_hub(aiohttp_client, store, clock, redis_url, tmp_path):
    path, clients = register(tmp_path)
    settings = Settings(redis_url=redis_url, ccr_dir=EXAMPLE, smart_clients_file=path,
                        max_body_bytes=2 * 1024 * 1024)
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    client = await aiohttp_client(create_app(settings, services))
    yield FhirHub(client, services, world, store, clock, clients)
    await services.resthook.close()
