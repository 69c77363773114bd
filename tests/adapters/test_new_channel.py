"""A new channel plugs in through the adapter package alone (docs/architecture.md, "Adding a
notice channel"): a Sender in SENDERS is a kind a person's contacts may name, checked as
that Sender says; the engine commits and sends a notice on it with the words and address
the Sender declares; every provider's report receiver is a route; and no code outside
hub/adapters branches on a channel's kind."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from hub.adapters import INBOUND, RECEIVERS, SENDERS
from hub.adapters.base import Notice, Sent, Words
from hub.adapters.render import Rendered
from hub.build import build_services
from hub.config import Settings
from hub.errors import ConfigError
from hub.routing.ccr import load_ccr
from hub.sandbox import install_world, make_world
from hub.web.app import create_app
from hub.web.routes import ROUTES
from tests.conftest import EXAMPLE, Hub
from tests.escalation.test_ladder import INTAKE, submit
from tests.web.pages.support import BASE_URL, Escalation, Outbox

HUB = Path(__file__).resolve().parents[2] / "hub"
PHONE = "+15555550120"
EMAIL_FIRST = f'channels = [{{ kind = "email", address = "{INTAKE}" }},'


class Pager:
    """What a hub/adapters/pager.py would hold: a page to a pager number (the walk-through's
    voice call is real now, hub/adapters/voice.py; this is a channel the hub lacks)."""

    kind = "pager"
    contact_field = "number"
    contact_rule = "a pager channel has a 'number' (E.164, e.g. +15555550100)"
    receivers = ()
    inbound = ()
    claims = False

    def __init__(self) -> None:
        self.calls: list[Notice] = []

    @staticmethod
    def words(rendered: Rendered) -> Words:
        return Words(rendered.subject, rendered.part("sms.txt"))  # its own pager.txt, there

    @classmethod
    def from_settings(cls, settings: Settings, book: object = None) -> Pager:
        return cls()

    async def send(self, notice: Notice) -> Sent:
        self.calls.append(notice)
        return Sent(f"call-{len(self.calls)}")

    async def close(self) -> None:
        pass


def ccr_calling_the_intake_first(tmp_path: Path) -> Path:
    """The example CCR, with a pager contact first for Harbor House's intake advocate."""
    directory = tmp_path / "ccr"
    shutil.copytree(EXAMPLE, directory)
    people = directory / "people.toml"
    text = people.read_text()
    assert EMAIL_FIRST in text
    people.write_text(text.replace(EMAIL_FIRST, f'channels = [{{ kind = "pager", '
                                                f'number = "{PHONE}" }},\n  {EMAIL_FIRST[12:]}', 1))
    return directory


def test_a_contact_names_a_channel_only_once_its_sender_is_registered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = ccr_calling_the_intake_first(tmp_path)
    with pytest.raises(ConfigError, match=r"channels\.0\.kind: .*'email' or 'sms' or 'voice'"):
        load_ccr(directory)
    monkeypatch.setitem(SENDERS, "pager", Pager)
    intake = load_ccr(directory).find_person("harbor-intake")
    assert [(c.kind, c.to(intake.id)) for c in intake.channels[:2]] == [("pager", PHONE),
                                                                        ("email", INTAKE)]
    (directory / "people.toml").write_text((directory / "people.toml").read_text().replace(
        f'number = "{PHONE}" }},', f'address = "{INTAKE}" }},', 1))
    with pytest.raises(ConfigError, match="a pager channel has a 'number'"):
        load_ccr(directory)


async def test_the_engine_calls_on_a_registered_channel_with_its_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aiohttp_client, store, clock,
        redis_url: str) -> None:
    monkeypatch.setitem(SENDERS, "pager", Pager)
    settings = Settings(redis_url=redis_url, ccr_dir=ccr_calling_the_intake_first(tmp_path))
    services = build_services(settings, store=store, clock=clock)
    world = make_world(services.ccr, int(clock.now()))
    await install_world(world, services)
    hub = Hub(await aiohttp_client(create_app(settings, services)), services, world, store,
              clock)
    pager, email, sms = Pager(), Outbox("email"), Outbox("sms")
    escalation = Escalation(hub, services.engine({"pager": pager, "email": email, "sms": sms},
                                                 BASE_URL), email, sms)
    _, rid = await submit(hub)
    await escalation.run_due()
    (call,) = pager.calls
    assert call.to == PHONE and call.html is None and not email.sent
    assert rid[:8] in call.subject and f"{BASE_URL}/r/{rid}" in call.text
    (notice,) = await store.notices.of_referral(rid)
    assert (notice.channel, notice.to, notice.status) == ("pager", PHONE, "sent")


def test_every_report_receiver_is_a_route_of_its_own() -> None:
    reports = {r.path: r for r in ROUTES if r.path.startswith("/v1/reports/")}
    assert set(reports) == {f"/v1/reports/{route}" for route in RECEIVERS | INBOUND}
    for route, receiver in (RECEIVERS | INBOUND).items():
        assert reports[f"/v1/reports/{route}"].summary == receiver.summary
        assert not reports[f"/v1/reports/{route}"].auth  # the provider signs, no token


BRANCH = re.compile(r"""\.kind\s*(==|!=)|(==|!=)\s*["'](email|sms)["']"""
                    r"""|["'](email|sms)["']\s*(==|!=)""")


def test_no_code_outside_the_adapters_branches_on_a_channels_kind() -> None:
    found = [f"{path.relative_to(HUB)}:{n}: {line.strip()}"
             for path in HUB.rglob("*.py") if "adapters" not in path.parts
             for n, line in enumerate(path.read_text().splitlines(), 1) if BRANCH.search(line)]
    assert not found, "\n".join(found)
