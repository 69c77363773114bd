"""A referral's routing card: the facts the stalled-referral queue filters and sorts by,
which never change after submission. This module alone knows its text form: the store
writes it in the same step as the referral (store/referrals.py, into the `cards` hash) and
reads it back (store/oversight.py), the queue and a referral's page read the fields."""

from __future__ import annotations

import sys
from typing import NamedTuple

from hub.models import Referral

SEP = "|"


class Card(NamedTuple):  # a tuple: a queue page may sift a hundred thousand
    sender: str
    destination: str
    type: str
    urgency: str
    submitted_at: float
    drill: bool = False  # a drill's referral (services/drills.py): the queue says DRILL

    @staticmethod
    def of(referral: Referral) -> Card:
        return Card(referral.sender_agency, referral.destination, referral.type,
                    referral.urgency, float(round(referral.submitted_at)),
                    referral.drill is not None)

    def encode(self) -> str:
        return SEP.join((self.sender, self.destination, self.type, self.urgency,
                         f"{self.submitted_at:.0f}", *(("drill",) if self.drill else ())))

    @staticmethod
    def decode(text: str) -> Card:
        """A card as written; its codes are interned, so the many cards a process keeps
        share one copy of each agency, type and urgency."""
        sender, destination, type_, urgency, submitted, *drill = text.split(SEP)
        return Card(sys.intern(sender), sys.intern(destination), sys.intern(type_),
                    sys.intern(urgency), float(submitted), bool(drill))
