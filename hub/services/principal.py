"""Who is asking: a person of an agency, with the roles the CCR's directory gives them."""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    person: str
    agency: str
    roles: frozenset[str]
    token_id: str

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles
