"""`hub bridge`: the device unlocked from its key file (as the CLI writes it), the pinned
roots, the bridge's endpoint for the EHR and the relay that writes statuses back."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from hub.client.agent import Agent
from hub.client.api import HubApi
from hub.clock import SystemClock
from hub.crypto import DeviceIdentity, TrustStore, import_device_keys, parse_certificate

from .app import create_bridge_app
from .core import Bridge
from .relay import Relay
from .settings import BridgeSettings


def _secret(path) -> str:
    return path.read_text().strip()


def device(settings: BridgeSettings) -> DeviceIdentity:
    keys = import_device_keys((settings.home / "device.key").read_bytes(),
                              _secret(settings.passphrase_file))
    cert = parse_certificate(base64.b64decode((settings.home / "device.cert").read_text()))
    return DeviceIdentity(keys, cert)


def trust(settings: BridgeSettings) -> TrustStore:
    from hub.cli.home import Home  # trust.json as `hub trust` keeps it

    return Home(settings.home).trust()


def build(settings: BridgeSettings) -> tuple[web.Application, HubApi]:
    clock = SystemClock().now
    api = HubApi(settings.hub_url, _secret(settings.token_file))
    bridge = Bridge(Agent(api, device(settings), trust(settings), clock=clock), clock)
    ehr_token = _secret(settings.ehr_token_file) if settings.ehr_token_file else ""
    app = create_bridge_app(bridge, ehr_token=ehr_token)

    async def relaying(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        async with aiohttp.ClientSession() as session:
            relay = Relay(bridge, settings.ehr_base_url, session)
            task = asyncio.create_task(relay.run(settings.poll_every, stop))
            yield
            stop.set()
            await task
        await api.close()

    app.cleanup_ctx.append(relaying)
    return app, api


def serve(settings: BridgeSettings) -> None:
    app, _ = build(settings)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
