"""Development only: the example CCR made real on first run, and a scripted story to watch.

`hub run` calls `prepare_demo`: every agency gets a root (kept under var/demo/, as an
agency admin would keep it offline), every person a token and, if they send or receive, a
device; rosters are published. Each person gets a ready `hub` home under
var/demo/homes/PERSON, so `HUB_HOME=var/demo/homes/harbor-intake hub inbox` just works.

`hub demo` plays the story against the running hub through the SDK, printing what each
party saw."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from hub.build import Services
from hub.cli.home import Home, write_private
from hub.client import (
    Agent,
    ConsentDetails,
    DischargeHandoff,
    GenericReferral,
    HubApi,
    Reply,
    SafeContact,
    consent_for,
    parse_content,
)
from hub.client.contents import Person
from hub.crypto import export_agency_root, export_device_keys
from hub.display import local_time, status_name
from hub.sandbox import World, make_world

DEMO = "demo"
HOSPITAL, SHELTER, COUNSELING = "mercy-hospital", "harbor-house", "northside-counseling"
NURSE, INTAKE, COORDINATOR = "mercy-nurse-1", "harbor-intake", "ccr-coordinator"


def homes(data_dir: Path) -> Path:
    return data_dir / DEMO / "homes"


async def prepare_demo(services: Services, data_dir: Path, url: str
                       ) -> list[tuple[str, str]]:
    """Set the example CCR up once (again after the data is wiped); (person, token) pairs."""
    ready = data_dir / DEMO / "ready"
    first = services.ccr.agencies[0].id
    if ready.exists() and await services.directory.root(first) is not None:
        people = sorted(homes(data_dir).iterdir())
        for path in people:  # the hub may serve on another port than last time
            Home(path).save_hub(url)
        return [(p.name, (p / "token").read_text().strip()) for p in people]
    world = make_world(services.ccr, int(services.clock.now()))
    for agency, root in world.roots.items():
        await services.directory.replace_root(agency, root.public, by="hub-run")
        admin = next(m for m in world.members.values()
                     if m.agency == agency and "agency_admin" in m.roles)
        await services.directory.publish(admin.principal(), agency,
                                         world.rosters[agency].to_json())
        key = data_dir / DEMO / "roots" / f"{agency}.key"
        write_private(key, export_agency_root(root), replace=True)
    for member in world.members.values():
        member.token = (await services.tokens.issue(member.person, issued_by="hub-run")).token
        write_home(world, member.person, homes(data_dir) / member.person, url)
    _drill_senders(world, homes(data_dir) / COORDINATOR / "drill-senders", url)
    ready.write_text("the example CCR is installed in this hub's data\n")
    return [(m.person, m.token) for m in world.members.values()]


def write_home(world: World, person: str, path: Path, url: str) -> None:
    """A ready `hub` home for ``person`` of ``world``: the hub's address and the person's
    token, their device's key and certificate, the agencies' roots pinned."""
    member = world.members[person]
    home = Home(path)
    home.save_login(url, member.token)
    if member.device is not None:
        write_private(home.device_key, export_device_keys(member.device.keys), replace=True)
        home.device_cert.write_text(base64.b64encode(member.device.certificate.raw).decode())
    store = world.trust()
    store.rosters.clear()  # fetched (and verified) from the hub on first use
    home.save_trust(store)


def _drill_senders(world: World, where: Path, url: str) -> None:
    """Dev only: the coordinator's drill sender devices, one per agency a scenario sends
    from, so that `hub drill start SCENARIO` works at once. Here they are copies of the
    scenario's senders' demo devices (an onward step's forwarding agency's is its point
    person's, of its escalation group, so it opens the referral it forwards); a real CCR's
    sending agency approves a device of its own for the coordinator (docs/cli.md, "Drills")."""
    for step in (x for scenario in world.ccr.drills for x in scenario.steps):
        write_home(world, step.sender, where / step.from_agency, url)
        Home(where / step.from_agency).save_login(url, world.members[COORDINATOR].token)


def _agent(data_dir: Path, person: str) -> Agent:
    home = Home(homes(data_dir) / person)
    url, token = home.login()
    return Agent(HubApi(url, token), home.device(), home.trust())


def _handoff() -> DischargeHandoff:
    return DischargeHandoff(
        survivor=Person(name="Demo Survivor", pronouns="she/her"),
        needs=("shelter", "advocacy"), discharge_at="today 14:00", children=1,
        safe_contact=SafeContact(channels=("sms",), phone="+15555550199", voicemail_ok=False,
                                 may_name_agency=False, language="es"),
        consent=ConsentDetails(method="written", given_at="today 10:00", documented_by=NURSE,
                               scope="shelter intake and advocacy"),
        summary="Discharge at 2pm; needs a safe bed tonight for herself and one child.")


def _counseling() -> GenericReferral:
    return GenericReferral(kind="counseling-referral",
                           text="Would like trauma counseling after discharge; evenings only.")


async def play(data_dir: Path, say: Callable[[str], None] = print) -> None:
    nurse, intake = _agent(data_dir, NURSE), _agent(data_dir, INTAKE)
    coordinator_url, coordinator_token = Home(homes(data_dir) / COORDINATOR).login()
    coordinator = HubApi(coordinator_url, coordinator_token)
    try:
        zones = {a.id: a.timezone for a in await nurse.api.agencies()}
        say(f"1. The SANE nurse at {HOSPITAL} seals a discharge handoff to the {SHELTER} "
            "group and sends it.")
        consent = consent_for(SHELTER, "discharge-handoff", documented_by=NURSE)
        sent = await nurse.send(SHELTER, "discharge-handoff", _handoff(), consent)
        say(f"   the hub routed {sent.id}: {status_name(sent.status)}, acknowledgement due "
            f"{local_time(sent.ack_due_at, zones[SHELTER])}")
        say(f"2. The {SHELTER} point person's inbox:")
        for r in await intake.api.inbox():
            say(f"   {r.id}  {status_name(r.status)}  {r.type} from {r.sender_agency}")
        received = await intake.open(sent.id)
        handoff = parse_content(received.content)
        if not isinstance(handoff, DischargeHandoff):
            raise RuntimeError(f"the demo's referral opened as {type(handoff).__name__}")
        say(f"   opened on their device (sealed by {received.sender}): needs "
            f"{', '.join(handoff.needs)}; safe channel {handoff.safe_contact.channels[0]}, "
            f"voicemail {'ok' if handoff.safe_contact.voicemail_ok else 'NOT ok'}")
        say(f"3. They acknowledge with a signed receipt: "
            f"{status_name((await intake.acknowledge(received)).status)}; accept: "
            f"{status_name((await intake.api.move(sent.id, 'accept')).status)}; and reply.")
        await intake.reply(sent.id, Reply(text="Bed held until 9pm. We will text first."))
        status = await nurse.api.referral(sent.id)
        (reply,) = await nurse.open_replies(sent.id)
        say(f"4. The nurse sees '{status_name(status.status)}' and opens the reply "
            f"({local_time(reply.posted_at, zones[SHELTER])}): \"{reply.parsed().text}\"")
        other = await nurse.send(COUNSELING, "counseling-referral", _counseling(),
                                 consent_for(COUNSELING, "counseling-referral",
                                             documented_by=NURSE), urgency="routine")
        say(f"5. A counseling referral {other.id} is sent and left unacknowledged; it is due "
            f"{local_time(other.ack_due_at, zones[COUNSELING])} (business hours).")
        seen = await coordinator.referral(other.id)
        say(f"6. The coordinator sees metadata only: {seen.type}, {status_name(seen.status)}, "
            f"from {seen.sender_agency} to {seen.destination}; never the content.")
    finally:
        for api in (nurse.api, intake.api, coordinator):
            await api.close()
