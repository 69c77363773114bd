"""Cross-reference checks of a loaded CCR: every id named exists, no id is defined twice."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hub.errors import ConfigError

from .ccr import Ccr


def _unique(ids: Iterable[str], path: Path, section: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            raise ConfigError(f"duplicate id '{value}'", path=str(path), key=f"{section}[{i}]")
        seen.add(value)


def _known(value: str, known: set[str], what: str, path: Path, key: str) -> None:
    if value not in known:
        raise ConfigError(f"unknown {what} '{value}'; known: {', '.join(sorted(known))}",
                          path=str(path), key=key)


def check_references(ccr: Ccr, directory: Path) -> None:
    agencies = {a.id for a in ccr.agencies}
    types = {t.code for t in ccr.referral_types}
    _unique((a.id for a in ccr.agencies), directory / "agencies.toml", "agency")
    _unique((p.id for p in ccr.people), directory / "people.toml", "person")
    _unique((t.code for t in ccr.referral_types), directory / "referral_types.toml", "type")
    _unique((f"{p.type}/{p.urgency}" for p in ccr.policies), directory / "policies.toml",
            "policy")
    for i, person in enumerate(ccr.people):
        _known(person.agency, agencies, "agency", directory / "people.toml",
               f"person[{i}].agency")
    for i, policy in enumerate(ccr.policies):
        _known(policy.type, types, "referral type", directory / "policies.toml",
               f"policy[{i}].type")
    path = directory / "agreements.toml"
    for i, agreement in enumerate(ccr.agreements):
        _known(agreement.from_agency, agencies, "agency", path, f"agreement[{i}].from_agency")
        _known(agreement.to_agency, agencies, "agency", path, f"agreement[{i}].to_agency")
        for j, code in enumerate(agreement.types):
            _known(code, types, "referral type", path, f"agreement[{i}].types[{j}]")
