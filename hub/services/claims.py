"""Claiming a referral from its notice: a reply with the notice's one-time code (or "1"
when only one code sent to that phone is live), or a keypress on the call.

A claim is not an acknowledgement. It records who claimed (history and audit) and holds
the escalation for the policy's ``claim_pause`` (15 minutes unless a policy says
otherwise); only the device-signed receipt acknowledges. When none comes within the pause,
the acknowledgement's ladder goes on at its next rung (claim_referral.lua puts that rung off
to the pause's end; the engine fires it then).

Codes are six digits made from the notice's id with the hub's secret, so the same notice
always carries the same code and Redis holds only keyed hashes of codes and numbers. A code
is bound to one person and one referral, spent by its first use, and good until the
acknowledgement is due (at least a pause's length after its notice may go out). Failed
replies are counted per sending number and overall; past either limit, no code is tried (a
guesser gets a few tries in a window, not a million). The sender's number decides nothing
else: what a code claims is the code's."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.clock import Clock
from hub.models import HistoryEvent
from hub.routing.ccr import Ccr
from hub.routing.ladder import ACK, member
from hub.store import Store
from hub.store.claims import CodeBinding
from hub.store.notices import CodeIssue

from .auditor import Auditor
from .principal import Principal

CODE_DIGITS = 6
CODE_MARK = "{CODE}"  # the code's place in a committed notice's text, filled in at sending
WINDOW = 900  # seconds: one window of the guessing limits
PER_NUMBER = 5  # failed replies from one number in a window
OVERALL = 50  # failed replies from every number together in a window
CODE = re.compile(r"^\d{6}$")

# outcome, language, facts (ref, until, link, by) -> the words answered (claim.txt)
Wording = Callable[[str, str, dict[str, str]], str]


@dataclass(frozen=True)
class ClaimCodes:
    """Codes and the keyed hashes Redis keeps of them and of phone numbers."""

    secret: bytes

    def _mac(self, purpose: str, text: str) -> bytes:
        return hmac.new(self.secret, f"{purpose}|{text}".encode(), hashlib.sha256).digest()

    def code(self, nid: str) -> str:
        """The notice's code: the same for every attempt to send it."""
        number = int.from_bytes(self._mac("code", nid)[:8]) % 10 ** CODE_DIGITS
        return f"{number:0{CODE_DIGITS}d}"

    def hashed(self, code: str) -> str:
        return self._mac("claim", code).hex()[:32]

    def number(self, number: str) -> str:
        return self._mac("number", number.strip()).hex()[:32]

    def issue(self, nid: str, referral: str, person: str, to: str, ttl: int) -> CodeIssue:
        return CodeIssue(self.hashed(self.code(nid)), self.number(to),
                         CodeBinding(referral, person, nid), ttl)

    def fill(self, nid: str, text: str) -> str:
        """A committed notice's text with its code in place."""
        return text.replace(CODE_MARK, self.code(nid)) if CODE_MARK in text else text


@dataclass(frozen=True)
class ClaimAnswer:
    """How a reply or keypress ended (claimed, taken, closed, several, unknown, limited,
    ignored) and the content-free words to answer it with."""

    outcome: str
    words: str
    language: str = "en"


@dataclass
class ClaimService:
    store: Store
    clock: Clock
    ccr: Ccr
    auditor: Auditor
    codes: ClaimCodes
    wording: Wording
    base_url: str

    async def by_reply(self, number: str, text: str, *, spoken: bool = False) -> ClaimAnswer:
        """A text message from ``number``: a code, or "1"."""
        source = self.codes.number(number)
        window = int(self.clock.now() // WINDOW)
        mine, everyone = await self.store.claims.tries([source, "all"], window)
        if mine >= PER_NUMBER or everyone >= OVERALL:
            return self._answer("limited", "en", spoken=spoken)
        word = text.strip().rstrip(".!").strip()
        code_hash = ""
        if word == "1":
            live = await self.store.claims.sent_to(source)
            if len(live) > 1:
                return self._answer("several", "en", spoken=spoken)
            code_hash = live[0] if live else ""
        elif CODE.match(word):
            code_hash = self.codes.hashed(word)
        binding = await self.store.claims.binding(code_hash) if code_hash else None
        answer = await self._claim(code_hash, source, binding, spoken=spoken) if binding \
            else self._answer("unknown", "en", spoken=spoken)
        if answer.outcome == "unknown":
            await self.store.claims.failed([source, "all"], window, WINDOW * 2)
            await self.auditor.record(None, "referral.claim", outcome="unknown_code")
        return answer

    async def by_call(self, provider_id: str, digits: str) -> ClaimAnswer:
        """A keypress on the call the provider knows as ``provider_id``: 1 claims."""
        nids = await self.store.notices.sent_as(provider_id)
        notice = await self.store.notices.get(nids[0]) if nids else None
        if notice is None:
            return self._answer("unknown", "en", spoken=True)
        person = self.ccr.find_person(notice.person)
        language = person.language if person else "en"
        if digits.strip() != "1":
            return self._answer("ignored", language, spoken=True)
        code_hash = self.codes.hashed(self.codes.code(notice.id))
        binding = await self.store.claims.binding(code_hash)
        if binding is None:
            return self._answer("unknown", language, spoken=True)
        return await self._claim(code_hash, self.codes.number(notice.to), binding, spoken=True)

    async def _claim(self, code_hash: str, number_hash: str, binding: CodeBinding, *,
                     spoken: bool) -> ClaimAnswer:
        referral = await self.store.referrals.get(binding.referral)
        person = self.ccr.find_person(binding.person)
        language = person.language if person else "en"
        policy = self.ccr.policy(referral.type, referral.urgency) if referral else None
        if referral is None or person is None or policy is None:
            return self._answer("unknown", language, spoken=spoken)
        now = self.clock.now()
        until = now + policy.pause_seconds
        who = Principal(person.id, person.agency, frozenset(person.roles), "")
        outcome = await self.store.claims.claim(
            code_hash, number_hash, binding, agency=referral.destination,
            member=member(referral.id, ACK), now=now,
            until=until, history=HistoryEvent(at=now, actor=person.id, action="claimed"),
            audit=self.auditor.event(who, "referral.claim", referral=referral.id))
        if outcome == "expired":
            return self._answer("unknown", language, spoken=spoken)
        if outcome == "taken":
            current = await self.store.referrals.get(referral.id)
            holder = self.ccr.find_person(current.claimed_by or "") if current else None
            until = (current.claim_until or until) if current else until
            return self._answer("taken", language, referral.id, until, referral.destination,
                                by=holder.display_name if holder else "", spoken=spoken)
        return self._answer(outcome, language, referral.id, until, referral.destination,
                            spoken=spoken)

    def _answer(self, outcome: str, language: str, rid: str = "", until: float = 0.0,
                agency: str = "", *, by: str = "", spoken: bool = False) -> ClaimAnswer:
        found = self.ccr.find_agency(agency)
        zone = found.timezone if found else "UTC"
        facts = {"ref": rid[:8], "spoken_ref": " ".join(rid[:8]), "by": by,
                 "until": _clock(until, zone) if until else "",
                 "link": f"{self.base_url.rstrip('/')}/r/{rid}" if rid else "",
                 "spoken": "1" if spoken else ""}
        return ClaimAnswer(outcome, self.wording(outcome, language, facts), language)


def _clock(at: float, zone: str) -> str:
    return datetime.fromtimestamp(at, ZoneInfo(zone)).strftime("%H:%M %Z")
