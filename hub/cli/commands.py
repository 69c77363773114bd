"""The command line's shape: every subcommand, its arguments and its help. Every command
takes --json; a mistake in the arguments is a usage error (exit 2) that says what to fix."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypedDict, get_args

from hub.models import CancelReason, OutcomeCode, RejectReason, RevokeReason

from . import (
    agency,
    agreements,
    audit,
    case,
    device,
    drill,
    mdt,
    offboard,
    operator,
    recovery,
    schedule,
    server,
    trust,
    work,
)
from .arguments import meeting_day, referral_id, some_text, status, whole
from .problems import SUMMARY, usage

EPILOG = f"""exit codes (docs/cli.md): {SUMMARY}.
Environment: HUB_HOME (your keys and pins, default ~/.ccr-hub), HUB_URL and HUB_TOKEN
(instead of 'hub login'), HUB_PASSPHRASE_FILE or HUB_PASSPHRASE (for protected key files,
in scripts), HUB_REDIS_URL (operators), HUB_DEBUG (show where an unexpected error happened)."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors raised as a usage Problem (so --json reports them as JSON,
    like every other failure)."""

    def error(self, message: str) -> NoReturn:
        raise usage(f"{message} (see '{self.prog} --help')")


def _choices(literal: object) -> tuple[str, ...]:
    return get_args(literal)


class Builder:
    def __init__(self, sub: argparse._SubParsersAction[ArgumentParser]):
        self.sub = sub

    def add(self, name: str, fn: Callable[..., Any], help_text: str, *, config: bool = False
            ) -> ArgumentParser:
        c = self.sub.add_parser(name, help=help_text, description=help_text)
        c.set_defaults(fn=fn)
        c.add_argument("--json", action="store_true",
                       help="print JSON for scripts (errors too: {\"error\": {...}})")
        if config:
            c.add_argument("--config", type=Path,
                           help="the CCR directory (default: HUB_CCR_DIR or config/example)")
        return c

    def group(self, name: str, help_text: str) -> Builder:
        p = self.sub.add_parser(name, help=help_text, description=help_text)
        return Builder(p.add_subparsers(dest=f"{name}_action", required=True, metavar="ACTION"))


PORT = whole(1, 65535, "a port")
YES = "do it without asking (scripts)"


def _running(b: Builder) -> None:
    c = b.add("serve", server.cmd_serve, "Run the web server (needs HUB_REDIS_URL)",
              config=True)
    c.add_argument("--port", type=PORT)
    c.add_argument("--with-worker", action="store_true",
                   help="dev mode: run the worker and the deadline ticker in this process too")
    c.add_argument("--processes", type=whole(1, 64, "a number of processes"), default=1,
                   metavar="N", help="serve from N processes sharing the port (one per core)")
    c = b.add("worker", server.cmd_worker, "Run the background worker and the deadline "
              "ticker (needs HUB_REDIS_URL)", config=True)
    c.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    c.add_argument("--no-ticker", action="store_true",
                   help="only run jobs (another worker runs the ticker)")
    c.add_argument("--alive", action="store_true", help="a health check: exit 0 when a "
                   "worker of this host is registered on the hub's queue, else 1")
    b.add("run", server.cmd_run, "Development: embedded Valkey, mail sink, worker and web "
          "server, demo tokens", config=True).add_argument("--port", type=PORT)
    b.add("demo", server.cmd_demo, "Play a scripted referral against the hub 'hub run' started",
          config=True)
    b.add("bridge", server.cmd_bridge, "Run the hospital's EHR bridge: a local FHIR endpoint "
          "that seals the EHR's handoffs with this agency's device key (HUB_BRIDGE_*, "
          "docs/fhir.md)").add_argument("--port", type=PORT)


def _operator(b: Builder) -> None:
    a = b.group("admin", "Operator tasks on the hub's host (need HUB_REDIS_URL)")
    c = a.add("issue-token", operator.cmd_issue_token, "Issue a person's API token (shown once)",
              config=True)
    c.add_argument("person", help="the person's id in people.toml")
    c.add_argument("--by", default="admin-cli", help="who issues it, for the audit log")
    c = a.add("revoke-token", operator.cmd_revoke_token, "Revoke an API token by its id",
              config=True)
    c.add_argument("token_id")
    c.add_argument("--by", default="admin-cli", help="who revokes it, for the audit log")
    for name, fn, what in (
            ("register-root", operator.cmd_register_root, "Register an agency's root key"),
            ("replace-root", operator.cmd_replace_root,
             "Re-key an agency whose root was lost or compromised")):
        c = a.add(name, fn, what, config=True)
        c.add_argument("agency")
        c.add_argument("public_key", help="base64, as printed by 'hub agency init'")
        c.add_argument("--by", default="admin-cli", help="who does it, for the audit log")


def _audit(b: Builder) -> None:
    a = b.group("audit", "The tamper-evident audit log (on the hub's host, HUB_REDIS_URL)")
    a.add("checkpoint", audit.cmd_checkpoint, "Seal what is waiting and sign a checkpoint now",
          config=True)
    a.add("seal", audit.cmd_seal, "Seal the events waiting in the intake (the worker does "
          "this continuously)", config=True).add_argument(
        "--follow", action="store_true", help="keep sealing until stopped")
    a.add("export", audit.cmd_export, "Write the log and its checkpoints to a file to keep "
          "off this machine", config=True).add_argument("file", type=Path)
    a.add("verify", audit.cmd_verify, "Check every entry and checkpoint; name the first "
          "entry edited, deleted, inserted, reordered or cut off", config=True
          ).add_argument("--checkpoints", type=Path, metavar="FILE",
                         help="also check the checkpoints in a file 'hub audit export' wrote")


def _agreements(b: Builder) -> None:
    a = b.group("agreements", "The CCR's sharing agreements (from its configuration)")
    c = a.add("check", agreements.cmd_check, "May FROM send TYPE to TO, and on what terms",
              config=True)
    c.add_argument("from_agency", metavar="FROM")
    c.add_argument("to_agency", metavar="TO")
    c.add_argument("type", metavar="TYPE")


def _root(c: argparse.ArgumentParser) -> None:
    c.add_argument("--root", type=Path, required=True, help="the agency's root key file")
    c.add_argument("--agency", required=True)


def _agency(b: Builder) -> None:
    a = b.group("agency", "An agency admin's keys: root, device approval, roster, pin bundle")
    c = a.add("init", agency.cmd_init, "Create the agency's offline root key")
    c.add_argument("agency")
    c.add_argument("--out", type=Path, required=True, help="where to write the root key file")
    c.add_argument("--no-passphrase", action="store_true",
                   help="keep the key file unencrypted (scripts and tests only)")
    a.add("fingerprint", agency.cmd_fingerprint, "Show the root key's fingerprints").add_argument(
        "--root", type=Path, required=True)
    c = a.add("approve", agency.cmd_approve, "Check a device's fingerprint with its person, "
              "then issue its certificate")
    c.add_argument("request", type=Path, help="the device-request.json the person sent")
    _root(c)
    c.add_argument("--out", type=Path, required=True, help="where to write the certificate")
    c.add_argument("--days", type=whole(1, 3650, "a number of days"), default=365)
    c.add_argument("--yes", action="store_true", help=YES)
    c = a.add("publish", agency.cmd_publish, "Sign and publish a new roster: the current "
              "devices, plus the certificates given, less those --remove names (people and "
              "groups from the CCR config)", config=True)
    c.add_argument("certs", type=Path, nargs="*", help="newly approved device certificates")
    _root(c)
    c.add_argument("--remove", action="append", default=[], metavar="DEVICE",
                   help="take a device off the roster: its id, fingerprint or person "
                   "(repeat for more)")
    c.add_argument("--days", type=whole(1, 365, "a number of days"), default=90,
                   help="how long the roster is valid")
    c.add_argument("--yes", action="store_true", help=YES)
    c = a.add("recovery-key", recovery.cmd_recovery_key, "Make the agency's offline recovery "
              "key and its certificate (publish it, then keep the key offline)")
    _root(c)
    c.add_argument("--out", type=Path, required=True, help="the folder to write both files to")
    c.add_argument("--no-passphrase", action="store_true",
                   help="keep the key file unencrypted (tests only)")
    c = a.add("recover", recovery.cmd_recover, "Break glass: hand open referrals to new "
              "devices with the recovery key (audited; the coordinators are told)")
    c.add_argument("rids", nargs="*", type=referral_id, metavar="REFERRAL")
    c.add_argument("--all", action="store_true", help="every open referral of your agency")
    c.add_argument("--key", type=Path, required=True, help="the recovery key file")
    c.add_argument("--cert", type=Path, required=True, help="its certificate")
    c.add_argument("--yes", action="store_true", help=YES)
    for name, fn, target, help_text in (
            ("offboard", offboard.cmd_offboard, "person", "A person left: revoke their tokens "
             "and sessions, publish a roster without their devices and out of every group, "
             "and hand on what no one on duty can read"),
            ("lost-device", offboard.cmd_lost_device, "device", "A device was lost: revoke "
             "its person's tokens and sessions, publish a roster without it, and hand on "
             "what no one on duty can read")):
        c = a.add(name, fn, help_text, config=True)
        c.add_argument(target, metavar="FINGERPRINT" if target == "device" else "PERSON")
        _root(c)
        c.add_argument("--recovery-key", type=Path, help="the recovery key file, to hand on "
                       "what no device left can read")
        c.add_argument("--recovery-cert", type=Path, help="its certificate")
        c.add_argument("--days", type=whole(1, 365, "a number of days"), default=90,
                       help="how long the new roster is valid")
        c.add_argument("--yes", action="store_true", help=YES)
    c = a.add("unreadable", offboard.cmd_unreadable, "List your agency's open referrals "
              "that no one on duty can read yet")
    c.add_argument("--agency", required=True)
    c = a.add("bundle", agency.cmd_bundle, "Sign a pin bundle: the roots you pinned, for your "
              "colleagues to import with your agency's one fingerprint")
    _root(c)
    c.add_argument("--out", type=Path, required=True, help="where to write the bundle")
    c.add_argument("--qr", action="store_true", help="also print the bundle as a QR code "
                   "(a terminal about 150 columns wide)")
    c.add_argument("--qr-png", type=Path, metavar="FILE",
                   help="also write the bundle as a QR code in a PNG, to print")


def _device(b: Builder) -> None:
    b.add("login", device.cmd_login, "Sign in: keep the hub's address and your token "
          "(read from stdin or HUB_TOKEN)").add_argument("--url", required=True)
    d = b.group("device", "This computer's device keys")
    c = d.add("init", device.cmd_init, "Create device keys (encrypted under a passphrase you "
              "choose) and a request to approve them")
    c.add_argument("--agency", required=True)
    c.add_argument("--person", required=True)
    c.add_argument("--no-passphrase", action="store_true",
                   help="keep the key file unencrypted (scripts only)")
    d.add("install", device.cmd_install, "Install the certificate your admin issued"
          ).add_argument("certificate", type=Path)
    d.add("show", device.cmd_show, "Show this device's identity and fingerprint")
    c = d.add("grant", device.cmd_grant, "Hand open referrals this device can read to the "
              "group's devices approved after they were sealed (key grants)")
    c.add_argument("rid", nargs="?", type=referral_id, metavar="REFERRAL")
    c.add_argument("--all", action="store_true", help="every open referral of your inbox")
    t = b.group("trust", "Partner agencies' root keys")
    c = t.add("pin", trust.cmd_pin, "Pin an agency's root after comparing its fingerprint")
    c.add_argument("agency")
    c.add_argument("fingerprint", help="the short (CCR1-...) or read-aloud fingerprint")
    t.add("list", trust.cmd_list, "List pinned agencies")
    c = t.add("audit", trust.cmd_audit, "Check the hub's roster log extends what this computer "
              "saw and print its head; given another party's head, compare the two")
    c.add_argument("head", nargs="?", help="the other party's head (CCRLOG1:...)")
    c = t.add("import", trust.cmd_import, "Pin every root in your agency admin's pin bundle, "
              "after checking it against your agency's fingerprint")
    c.add_argument("bundle", type=Path, help="the bundle file from 'hub agency bundle'")
    c.add_argument("fingerprint", help="your agency's root fingerprint, as your admin read "
                   "it to you (CCR1-... or the 60 digits)")


class _Positional(TypedDict):
    type: Callable[[str], str]
    metavar: str
    help: str


RID: _Positional = {"type": referral_id, "metavar": "ID",
                    "help": "the referral's id (32 hex digits)"}


def _urgency_and_consent(c: argparse.ArgumentParser) -> None:
    """What a referral sent says of its urgency and of the survivor's consent (hub send,
    hub case forward)."""
    c.add_argument("--urgency", choices=("routine", "urgent", "emergent"), default="urgent")
    c.add_argument("--consent-by", required=True,
                   help="the person of your agency who documented the consent")
    c.add_argument("--consent-method", default="written",
                   choices=("written", "electronic-signature", "verbal-documented"))
    c.add_argument("--consent-days", type=whole(1, 366, "a number of days"), default=30,
                   help="how many days consent lasts (the hub allows at most 90 by default)")
    c.add_argument("--share-outcome", action="store_true",
                   help="the survivor agreed that you learn the outcome, the milestones and "
                   "any missed (else only that it closed)")


def _sending(b: Builder) -> None:
    c = b.add("send", work.cmd_send, "Seal a referral to an agency's group and send it")
    c.add_argument("--to", required=True, help="the receiving agency's id")
    c.add_argument("--type", required=True, help="the referral type code")
    c.add_argument("--content", type=Path, required=True, help="a JSON file with the content "
                   "(docs/clients.md; /v1/schemas/TYPE.json)")
    _urgency_and_consent(c)
    c.add_argument("--attach", type=Path, action="append", default=[], help="a file to attach "
                   "(repeat for more; its name travels sealed)")
    c.add_argument("--no-case", action="store_true", help="start no case: the receiver cannot "
                   "forward the record onward or link it to this survivor's other referrals")
    for name, fn, what in (("inbox", work.cmd_inbox, "Referrals sent to your agency, what is "
                            "due first at the top"),
                           ("outbox", work.cmd_outbox, "Referrals your agency sent")):
        c = b.add(name, fn, what)
        c.add_argument("--status", type=status, action="append", default=[],
                       help="only this status (its code or name; repeat for more)")
        c.add_argument("--limit", type=whole(1, 200, "a number of referrals"), default=50,
                       help="at most this many (1 to 200)")


def _work(b: Builder) -> None:
    c = b.add("open", work.cmd_open, "Download and open a referral: safety first")
    c.add_argument("rid", **RID)
    c.add_argument("--save", type=Path, metavar="DIR",
                   help="save the attachments in DIR (by their names, readable by you only)")
    moves = (("ack", work.cmd_ack, "Acknowledge with a signed receipt"),
             ("accept", work.cmd_accept, "Accept a received referral"),
             ("progress", work.cmd_progress, "Record that work has started"))
    for name, fn, what in moves:
        b.add(name, fn, what).add_argument("rid", **RID)
    for name, fn, what, flag, literal in (
            ("reject", work.cmd_reject, "Decline with a reason", "--reason", RejectReason),
            ("complete", work.cmd_complete, "Complete with an outcome", "--outcome",
             OutcomeCode),
            ("cancel", work.cmd_cancel, "Cancel a referral you sent", "--reason",
             CancelReason)):
        c = b.add(name, fn, what)
        c.add_argument("rid", **RID)
        c.add_argument(flag, required=True, choices=_choices(literal))
    c = b.add("revoke-consent", work.cmd_revoke_consent, "Record that the survivor withdrew "
              "consent: the content is deleted at once, for both agencies")
    c.add_argument("rid", **RID)
    c.add_argument("--reason", required=True, choices=_choices(RevokeReason))
    c.add_argument("--yes", action="store_true", help=YES)
    c = b.add("purge-narrative", work.cmd_purge_narrative, "Keep a received referral's codes "
              "and delete its narrative and attachments (receiving agency)")
    c.add_argument("rid", **RID)
    c.add_argument("--yes", action="store_true", help=YES)
    c = b.add("narrow-consent", work.cmd_narrow_consent, "Record that the survivor narrowed "
              "consent (it can only take back)")
    c.add_argument("rid", **RID)
    c.add_argument("--no-share-outcome", action="store_true", required=True,
                   help="the sender no longer learns how it ended")
    c = b.add("reply", work.cmd_reply, "Seal and post a reply on a referral")
    c.add_argument("rid", **RID)
    c.add_argument("--text", required=True, type=some_text)
    b.add("replies", work.cmd_replies, "Open and read the replies sent to you"
          ).add_argument("rid", **RID)
    b.add("status", work.cmd_status, "A referral's status and history").add_argument(
        "rid", **RID)


def _case(b: Builder) -> None:
    g = b.group("case", "A survivor's case across agencies, put together on this device")
    g.add("show", case.cmd_show, "The case's timeline: the agencies involved, what was "
          "offered and accepted, the follow-ups pending or missed, and the record carried"
          ).add_argument("rid", **RID)
    c = g.add("forward", case.cmd_forward, "Refer the survivor onward from a referral your "
              "agency received: the new referral carries its record, as far as the "
              "survivor's consent covers")
    c.add_argument("rid", **RID)
    c.add_argument("--to", required=True, help="the next agency's id")
    c.add_argument("--type", required=True, help="the referral type code")
    c.add_argument("--content", type=Path, required=True, help="a JSON file with your own "
                   "referral (your notes), as for 'hub send'")
    c.add_argument("--purpose", required=True, help="why the record goes onward, a code "
                   "(e.g. counseling)")
    c.add_argument("--covers", required=True, help="the handoff's fields the survivor agreed "
                   "may go onward, comma-separated (e.g. survivor,needs,safe_contact), or '*' "
                   "for all of it")
    _urgency_and_consent(c)
    c.set_defaults(attach=[])


def _period(c: argparse.ArgumentParser) -> None:
    when = ("ISO 8601, the agency's local time unless it has an offset: 2026-12-24T18:00; a "
            "bare date is the start of that day")
    c.add_argument("--from", dest="start", required=True, type=some_text, help=when)
    c.add_argument("--until", required=True, type=some_text,
                   help="the same; a bare date is the end of that day")


def _schedule(b: Builder) -> None:
    a = b.group("schedule", "Who is on duty in an agency's escalation group: layers, "
                "overrides, away periods and gaps (agency admins change them)")
    c = a.add("show", schedule.cmd_show, "Who is on duty now, the layers, overrides, away "
              "periods and the gaps of the next 7 days")
    c.add_argument("agency", nargs="?", help="default: your own agency")
    c = a.add("gaps", schedule.cmd_gaps, "When no one is on duty in the next 7 days")
    c.add_argument("agency", nargs="?", help="default: your own agency")
    c = a.add("override", schedule.cmd_override, "Put someone of the escalation group on duty "
              "for a while (they need a current device in the signed roster)")
    c.add_argument("agency")
    c.add_argument("person")
    _period(c)
    c.add_argument("--as", dest="duty", choices=("point_person", "backup"),
                   default="point_person", help="the duty they take (default point_person)")
    c = a.add("away", schedule.cmd_away, "Record that someone is away: never on duty then")
    c.add_argument("person")
    _period(c)
    c.add_argument("--agency", help="default: your own agency")
    c = a.add("remove", schedule.cmd_remove, "Remove an override or away period added live")
    c.add_argument("agency")
    c.add_argument("entry", help="its id, as 'hub schedule show' lists it")


def _drill(b: Builder) -> None:
    a = b.group("drill", "Drills on the real hub (coordinators): start one from a scenario, "
                "read its debrief, end it (its referrals are purged)")
    a.add("scenarios", drill.cmd_scenarios, "The CCR's drill scenarios")
    c = a.add("start", drill.cmd_start, "Start a drill: seal its steps on the drill sender "
              "device and send them, marked DRILL, through the real routing")
    c.add_argument("scenario", help="a scenario's id, as 'hub drill scenarios' lists them")
    c.add_argument("--sender-home", type=Path, help="the hub home holding the drill sender "
                   "device, or a folder of them named after each sending agency (default: "
                   "drill-senders inside your home)")
    c.add_argument("--drill", help="seal the steps of a drill started on the dashboard "
                   "(its id) rather than start a new one")
    a.add("list", drill.cmd_list, "The drills under way")
    for name, handler, what in (
            ("debrief", drill.cmd_debrief, "Who was notified when, who claimed, opened and "
             "acknowledged, how long each step took, where the ladder went past a rung"),
            ("end", drill.cmd_end, "End a drill: its debrief, then its referrals purged")):
        c = a.add(name, handler, what)
        c.add_argument("drill", help="the drill's id, as 'hub drill start' or 'list' shows")
        c.add_argument("--csv", type=Path, help="also save the debrief as CSV there")


def _case_review(b: Builder) -> None:
    c = b.add("milestone", mdt.cmd_milestone, "Record a milestone reached on a referral your "
              "agency accepted (a code from milestones.toml for its type)")
    c.add_argument("rid", **RID)
    c.add_argument("code", help="e.g. exam-followup-attended; a wrong one is answered with "
                   "the list of this referral's milestones")
    a = b.group("mdt", "The team meeting's case review (coordinators and agency admins)")
    c = a.add("agenda", mdt.cmd_agenda, "The agenda for a meeting day: referrals past their "
              "acknowledgement deadline, with missed milestones, marked for review or with "
              "open action items (references and codes only)")
    c.add_argument("--date", type=meeting_day, help="the meeting day, YYYY-MM-DD (default "
                   "today, UTC)")
    c.add_argument("--agency", help="only the referrals this agency (its id) sent or "
                   "received, or owes an action item on")
    c.add_argument("--csv", action="store_true", help="print it as CSV")


def parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog="hub", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="CCR Hub: sealed referrals between the agencies of a "
                       "Coordinated Community Response.")
    p.add_argument("--home", type=Path, help="your keys and pins (default HUB_HOME or "
                   "~/.ccr-hub)")
    b = Builder(p.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    for section in (_running, _operator, _audit, _agreements, _agency, _schedule, _drill,
                    _device, _sending, _work, _case, _case_review):
        section(b)
    return p

