"""Milestones per referral type, from ``milestones.toml`` (optional): the steps of a
survivor's care the receiving agency records as codes once it has accepted a referral
(follow-up exam attended, counseling's first session, compensation paid), each with the
time it should take from acceptance. One not recorded in time is a gap. A code that
``misses`` another (a no-show) makes that one a gap at once. Checked at start-up."""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from hub.errors import ConfigError

from .durations import Duration
from .patterns import SLUG

FILE = "milestones.toml"
PREFIX = "ms:"  # a milestone's timer: ``ms:{code}``, counted from acceptance
GAP = "gap:"  # the step that makes a milestone a gap at once (a code that misses it)


def _duration(value: object) -> object:
    return Duration.parse(value) if isinstance(value, str) else value


class Milestone(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Annotated[str, Field(pattern=SLUG)]
    code: Annotated[str, Field(pattern=SLUG, max_length=40)]
    label: str = Field(min_length=1, max_length=80)
    label_es: str | None = Field(None, min_length=1, max_length=80,
                                 description="its label in Spanish (else the label)")
    within: Annotated[Duration | None, BeforeValidator(_duration)] = Field(
        None, description="how long after acceptance it should be recorded by (none: a "
        "code recorded when it happens, such as a no-show)")
    misses: str | None = Field(
        None, pattern=SLUG, description="recording this code makes that milestone of the "
        "same type a gap at once (a no-show misses the exam)")

    @property
    def timer(self) -> str:
        return PREFIX + self.code

    def label_in(self, language: str) -> str:
        """Its label in ``language`` (en, es): the Spanish one where there is one."""
        return self.label_es if language == "es" and self.label_es else self.label


class Milestones(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    milestone: tuple[Milestone, ...] = ()

    @cached_property
    def _by_type(self) -> dict[str, tuple[Milestone, ...]]:
        found: dict[str, list[Milestone]] = {}
        for m in self.milestone:
            found.setdefault(m.type, []).append(m)
        return {t: tuple(ms) for t, ms in found.items()}

    def of(self, referral_type: str) -> tuple[Milestone, ...]:
        """The milestones of a referral type, in the file's order."""
        return self._by_type.get(referral_type, ())

    def find(self, referral_type: str, code: str) -> Milestone | None:
        return next((m for m in self.of(referral_type) if m.code == code), None)

    def timed(self, referral_type: str) -> tuple[Milestone, ...]:
        """Those with a deadline: each a timer from acceptance."""
        return tuple(m for m in self.of(referral_type) if m.within is not None)


def is_milestone(timer: str) -> bool:
    return timer.startswith(PREFIX)


def read_milestones(directory: Path) -> Milestones:
    """The CCR's milestones (none when the file is not there)."""
    path = Path(directory) / FILE
    if not path.exists():
        return Milestones()
    try:
        doc: dict[str, Any] = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path=str(path)) from None
    unknown = set(doc) - {"milestone"}
    if unknown:
        raise ConfigError("unknown table; this file holds [[milestone]] entries",
                          path=str(path), key=sorted(unknown)[0])
    try:
        return Milestones.model_validate(doc)
    except ValidationError as e:
        err = e.errors()[0]
        section, index, *rest = (*err["loc"], "", "")
        key = f"{section}[{index}]" + "".join(f".{p}" for p in rest if p != "")
        raise ConfigError(err["msg"].removeprefix("Value error, "), path=str(path),
                          key=key) from None


def check_milestones(types: set[str], milestones: Milestones, directory: Path) -> None:
    """Every milestone names a known referral type, once per code, and what it misses is
    a milestone of its type with a deadline."""
    path = str(Path(directory) / FILE)
    seen: set[tuple[str, str]] = set()
    for i, m in enumerate(milestones.milestone):
        if m.type not in types:
            raise ConfigError(f"unknown referral type '{m.type}'; known: "
                              f"{', '.join(sorted(types))}", path=path,
                              key=f"milestone[{i}].type")
        if (m.type, m.code) in seen:
            raise ConfigError(f"duplicate milestone '{m.code}' for '{m.type}'", path=path,
                              key=f"milestone[{i}].code")
        seen.add((m.type, m.code))
        if m.within is None and m.misses is None:
            raise ConfigError("a milestone needs 'within' (its deadline from acceptance) or "
                              "'misses' (the milestone it makes a gap)", path=path,
                              key=f"milestone[{i}]")
    for i, m in enumerate(milestones.milestone):
        target = milestones.find(m.type, m.misses) if m.misses else None
        if m.misses and (target is None or target.within is None):
            raise ConfigError(f"'{m.misses}' is no milestone of '{m.type}' with a deadline",
                              path=path, key=f"milestone[{i}].misses")
