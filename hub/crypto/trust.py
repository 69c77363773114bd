"""A device's trust store: the agency roots it pinned and the newest roster it verified for
each. Pure data: persisting it is the client's job."""

from __future__ import annotations

from dataclasses import dataclass, field

from .certificates import DeviceCertificate
from .errors import TrustError
from .fingerprints import matches_fingerprint
from .header import Header
from .rosterlog import LogWitness
from .rosters import SignedRoster, VerifiedRoster, verify_roster


@dataclass
class TrustStore:
    roots: dict[str, bytes] = field(default_factory=dict)
    rosters: dict[str, VerifiedRoster] = field(default_factory=dict)
    log: LogWitness = field(default_factory=LogWitness)  # the roster log as this device saw it

    def pin(self, agency: str, root_public: bytes, fingerprint: str | None = None) -> None:
        """Pin an agency's root; with a fingerprint read aloud or pasted, check it first."""
        if fingerprint is not None and not matches_fingerprint(root_public, fingerprint):
            raise TrustError("fingerprint-mismatch",
                             f"the root offered for {agency} does not match that fingerprint")
        if agency in self.roots and self.roots[agency] != root_public:
            raise TrustError("pin-conflict", f"{agency} is already pinned to another root")
        self.roots[agency] = root_public

    def pin_all(self, pins: dict[str, bytes]) -> list[str]:
        """Pin every root of a verified bundle, or none when one differs from a root already
        pinned (a 'pin-conflict' naming it). The agencies newly pinned."""
        clash = sorted(a for a, r in pins.items() if self.roots.get(a, r) != r)
        if clash:
            raise TrustError("pin-conflict", f"{', '.join(clash)} already pinned to another "
                             "root here")
        new = sorted(a for a in pins if a not in self.roots)
        self.roots.update(pins)
        return new

    def accept_roster(self, agency: str, signed: SignedRoster, now: int) -> VerifiedRoster:
        root = self.roots.get(agency)
        if root is None:
            raise TrustError("not-pinned", f"{agency}'s root is not pinned; pin its fingerprint")
        roster = verify_roster(signed, root, agency=agency, now=now,
                               previous=self.rosters.get(agency))
        self.rosters[agency] = roster
        return roster

    def roster(self, agency: str, now: int) -> VerifiedRoster:
        roster = self.rosters.get(agency)
        if roster is None:
            raise TrustError("no-roster", f"no verified roster for {agency}")
        if now >= roster.expires_at:
            raise TrustError("roster-expired", f"{agency}'s roster has expired")
        return roster

    def expected_slot(self, header: Header, box_public: bytes, now: int) -> int | None:
        """This device's place among the recipients a sender would take from the current
        roster (senders seal to the group in roster order), or None."""
        roster = self.rosters.get(header.destination)
        if roster is None:
            return None
        try:
            recipients = roster.recipients(header.referral_type, now)
        except TrustError:
            return None
        return next((i for i, c in enumerate(recipients) if c.box_public == box_public), None)

    def is_current_sender(self, cert: DeviceCertificate, now: int) -> bool:
        """The sender's certificate is listed in its agency's current verified roster (whose
        certificates were all checked against the pinned root), unexpired and unrevoked."""
        try:
            return self.roster(cert.agency, now).current_device(cert, now)
        except TrustError:
            return False
