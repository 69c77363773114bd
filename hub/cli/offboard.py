"""Offboarding in one step (docs/operations.md, "Offboarding"): when a person leaves, or a
device is lost, the agency admin, on their own computer with the root key:

1. sees the next roster (without the person's devices, or the lost one) and confirms once;
2. the hub revokes the person's API tokens, which ends their page sessions too;
3. in the same step, the person is taken off the agency's on-duty schedule: their live
   overrides and away periods deleted, their turns on the layers of schedules.toml (and its
   entries naming them) set aside, so a turn of theirs shows as a gap until someone covers
   it; the output names the layers and the coming week's gaps;
4. the roster is signed and published, the person out of every escalation group;
5. the open referrals no one on duty can read are listed, and, with the recovery key given
   and the admin's yes, handed to the group's devices with it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from hub.api.schemas import Offboarded, UnreadableList
from hub.client import Agent, HubApi
from hub.client.rosters import RosterChange, plan_roster
from hub.crypto import EnvelopeError
from hub.display import local_time
from hub.routing.ccr import load_ccr

from .agency import _listed, _load_root, sign_and_publish
from .output import confirm, emit, say, table
from .problems import EXIT_OK, not_found, usage
from .recovery import _recovery
from .session import api_session, home, run
from .settings import settings_from


@dataclass
class Handover:
    unreadable: list[str] = field(default_factory=list)  # open referrals no one can read
    recovered: int = 0  # handed on with the recovery key


async def _hand_over(api: HubApi, args: argparse.Namespace, agency: str) -> Handover:
    """The referrals no device left in their group can read (those only an off-duty
    colleague can read are theirs to hand on), and what the recovery key handed on."""
    found = await api.unreadable(agency, by="group")
    out = Handover([r.id for r in found.referrals])
    if not out.unreadable:
        return out
    say(_listing(found, "no device left in their group"))
    if args.recovery_key is None:
        say("  hand them on with the recovery key: 'hub agency recover --all --key ... "
            "--cert ...' (docs/operations.md)")
        return out
    confirm(f"Hand these {len(out.unreadable)} referral(s) to the group's devices with the "
            "recovery key now (audited; the coordinators are told)?", yes=args.yes)
    agent = Agent(api, _recovery(args.recovery_key, args.recovery_cert), home(args.home).trust())
    for rid in out.unreadable:
        try:
            out.recovered += bool(await agent.grant(rid))
        except EnvelopeError:
            say(f"  {rid}: sealed before the recovery key was on the roster; ask the sender "
                "to send it again")
    out.unreadable = [r.id for r in (await api.unreadable(agency, by="group")).referrals]
    return out


def _listing(found: UnreadableList, who: str = "no one on duty") -> str:
    rows = [(r.id, r.type, r.status, local_time(r.submitted_at, "UTC"))
            for r in found.referrals]
    return (f"{len(rows)} open referral(s) of {found.agency} that {who} can read yet:\n"
            + table(rows, ("REFERRAL", "TYPE", "STATUS", "SENT")))


def _run(args: argparse.Namespace, person: str, remove: str, reason: str,
         question: str) -> int:
    if (args.recovery_key is None) != (args.recovery_cert is None):
        raise usage("give the recovery key and its certificate together (--recovery-key, "
                    "--recovery-cert)")
    root = _load_root(args.root)
    ccr = load_ccr(settings_from(args).ccr_dir)
    found = ccr.find_person(person)
    if found is None or found.agency != args.agency:
        raise not_found(f"no person '{person}' at {args.agency} in the CCR configuration")

    revoked: list[Offboarded] = []

    async def go() -> tuple[RosterChange, Handover]:
        async with api_session(args.home) as api:
            leaving = {person} if reason == "left" else set()

            async def revoke() -> None:
                revoked.append(await api.offboard(args.agency, person, reason))

            change = await sign_and_publish(
                api, root=root, ccr=ccr, agency=args.agency, certs=[], remove=[remove],
                days=args.days, yes=args.yes, leaving=leaving,
                before=question.format(version=plan_roster(
                    await _listed(api, args.agency, root), [], [remove]).version),
                then=revoke)
            return change, await _hand_over(api, args, args.agency)

    change, handed = run(go())
    done = revoked[0]
    left = len(handed.unreadable)
    emit(args.json, {"person": person, "roster_version": change.version,
                     "devices_removed": [c.device_id.hex() for c in change.removed],
                     "schedule_layers": done.schedule_layers,
                     "schedule_entries": done.schedule_entries,
                     "gaps": [g.model_dump(mode="json", by_alias=True) for g in done.gaps],
                     "unreadable": handed.unreadable, "recovered": handed.recovered},
         f"{person}: tokens and page sessions revoked; roster version {change.version} "
         f"published without {len(change.removed)} device(s)"
         + ("; out of every escalation group and schedule" if reason == "left" else "")
         + (f"; {handed.recovered} referral(s) handed on with the recovery key"
            if handed.recovered else "")
         + (f"; {left} open referral(s) still unreadable" if left
            else "; every open referral can be read by a device of its group")
         + _schedule_lines(done))
    return EXIT_OK


def _schedule_lines(done: Offboarded) -> str:
    """What offboarding did to the schedule, and the gaps it leaves (none for a lost
    device, or at an agency without a schedule)."""
    lines = []
    if done.schedule_layers:
        lines.append(f"  taken off schedule layer(s) {', '.join(done.schedule_layers)}: "
                     "their turns are uncovered until schedules.toml changes or an override "
                     "covers them")
    if done.schedule_entries:
        lines.append(f"  their override(s) and away period(s) removed: "
                     f"{', '.join(done.schedule_entries)}")
    if done.schedule_layers or done.schedule_entries:
        lines += [f"  gap: {g.text}" for g in done.gaps] or \
            ["  the next 7 days are covered (hub schedule gaps)"]
    return "".join("\n" + line for line in lines)


def cmd_offboard(args: argparse.Namespace) -> int:
    return _run(args, args.person, args.person, "left",
                f"Offboard {args.person}: revoke their tokens and page sessions, take them "
                "out of every escalation group and schedule, and publish roster version "
                "{version} without their devices?")


def cmd_lost_device(args: argparse.Namespace) -> int:
    async def owner() -> str:
        async with api_session(args.home) as api:
            listed = await _listed(api, args.agency, _load_root(args.root))
        change = plan_roster(listed, [], [args.device])
        if change.unmatched or len(change.removed) != 1:
            raise not_found(f"{args.device} names no one device on {args.agency}'s roster "
                            "(give its fingerprint or device id)")
        return change.removed[0].person

    person = run(owner())
    return _run(args, person, args.device, "lost-device",
                f"{args.device} is {person}'s: revoke {person}'s tokens and page sessions "
                "(issue them a new token) and publish roster version {version} without "
                "that device?")


def cmd_unreadable(args: argparse.Namespace) -> int:
    async def go() -> UnreadableList:
        async with api_session(args.home) as api:
            return await api.unreadable(args.agency)

    found = run(go())
    emit(args.json, found.model_dump(mode="json"), _listing(found) if found.referrals
         else f"every open referral of {args.agency} can be read by someone on duty")
    return EXIT_OK

