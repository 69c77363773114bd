"""Who covers an agency's escalation groups, from ``schedules.toml`` (optional: an agency
without a schedule keeps its fixed point person and backups).

A schedule names its agency (and the referral types it covers, every type by default) and
its weekly rotation layers, each in the agency's own time zone: the people who take turns,
how many days a turn lasts, when the first turn began (a local date and time: later
handoffs fall at the same local time, whatever daylight saving does), the days and hours
it covers (``from``/``until``; an ``until`` earlier than ``from`` runs past midnight) and
what it does on the agency's holidays (``work``, ``off`` or ``only``). A layer's ``duty``
is ``point_person`` or ``backup``; later layers come first. Dated overrides (someone takes
a duty for a while) and away periods (someone is never on duty for a while) are written
here too, or added live by agency admins (hub/services/schedules.py).

Checked at start-up, with the file and key of what is wrong: the agency and people exist,
everyone named is a member of the agency's escalation group (point_person or backup role),
times are real and periods end after they start."""

from __future__ import annotations

import tomllib
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.errors import ConfigError

from .patterns import CLOCK, CLOSING, SLUG

if TYPE_CHECKING:
    from .ccr import Ccr

FILE = "schedules.toml"
Duty = Literal["point_person", "backup"]
Slug = Annotated[str, Field(pattern=SLUG)]
GROUP_ROLES = ("point_person", "backup")


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def clock(text: str) -> time:
    """'HH:MM' as a time ('24:00' is read as midnight; callers add the day)."""
    hours, minutes = text.split(":")
    return time(int(hours) % 24, int(minutes))


class Layer(Model):
    name: Slug
    duty: Duty = "point_person"
    people: tuple[Slug, ...] = Field(min_length=1)
    turn_days: int = Field(7, ge=1, le=366)
    starts: datetime  # local to the agency: when the first person's first turn began
    days: tuple[Annotated[int, Field(ge=0, le=6)], ...] = Field((0, 1, 2, 3, 4, 5, 6),
                                                                  min_length=1)
    from_: str = Field("00:00", alias="from", pattern=CLOCK)
    until: str = Field("24:00", pattern=CLOSING)
    holidays: Literal["work", "off", "only"] = "work"

    @model_validator(mode="after")
    def _naive(self) -> Layer:
        if self.starts.tzinfo is not None:
            raise ValueError("'starts' is a local date and time in the agency's time zone "
                             "(e.g. 2026-11-02T08:00:00), without an offset")
        if self.from_ == self.until:
            raise ValueError("'from' and 'until' are the same time: a layer covering the "
                             "whole day leaves both out")
        return self


class Schedule(Model):
    agency: Slug
    types: tuple[Slug, ...] = ()  # () = every referral type the agency's groups cover
    layer: tuple[Layer, ...] = Field(min_length=1)


class Period(Model):
    """An override (someone takes a duty) or an away period (someone is off), from ``from``
    until ``until``: local to the agency, or with an offset."""

    person: Slug
    from_: datetime = Field(alias="from")
    until: datetime


class Override(Period):
    agency: Slug
    duty: Duty = "point_person"


class Away(Period):
    pass


class Schedules(Model):
    schedule: tuple[Schedule, ...] = ()
    override: tuple[Override, ...] = ()
    away: tuple[Away, ...] = ()

    def of(self, agency: str, referral_type: str) -> Schedule | None:
        return next((s for s in self.schedule if s.agency == agency
                     and (not s.types or referral_type in s.types)), None)

    def agencies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.agency for s in self.schedule))


def read_schedules(directory: Path) -> Schedules:
    """The CCR's schedules (none when the file is not there)."""
    path = Path(directory) / FILE
    if not path.exists():
        return Schedules()
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path=str(path)) from None
    unknown = set(doc) - {"schedule", "override", "away"}
    if unknown:
        raise ConfigError("unknown table; this file holds [[schedule]] (with its "
                          "[[schedule.layer]]), [[override]] and [[away]] entries",
                          path=str(path), key=sorted(unknown)[0])
    try:
        return Schedules.model_validate(doc)
    except ValidationError as e:
        err = e.errors()[0]
        key = _key(err["loc"])
        raise ConfigError(err["msg"].removeprefix("Value error, "), path=str(path),
                          key=key) from None


def _key(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the file's key: ('schedule', 0, 'layer', 1, 'people')
    -> 'schedule[0].layer[1].people'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".").replace("from_", "from")


def group_members(ccr: Ccr, agency: str) -> tuple[str, ...]:
    """Who may be scheduled at an agency: its people with the point_person or backup role
    (the members of its escalation groups, whose devices read its referrals)."""
    return tuple(p.id for p in ccr.people_of(agency) if set(GROUP_ROLES) & set(p.roles))


def check_schedules(ccr: Ccr, schedules: Schedules, directory: Path) -> None:
    path = str(Path(directory) / FILE)
    covered: set[tuple[str, str]] = set()
    for i, s in enumerate(schedules.schedule):
        _check_schedule(ccr, s, path, f"schedule[{i}]", covered)
    for i, o in enumerate(schedules.override):
        _agency(ccr, o.agency, path, f"override[{i}].agency")
        _member(ccr, o.agency, o.person, path, f"override[{i}].person")
        _period(o, path, f"override[{i}]")
    for i, a in enumerate(schedules.away):
        person = ccr.find_person(a.person)
        if person is None:
            raise ConfigError(f"unknown person '{a.person}'", path=path, key=f"away[{i}].person")
        _period(a, path, f"away[{i}]")


def _check_schedule(ccr: Ccr, s: Schedule, path: str, where: str,
                    covered: set[tuple[str, str]]) -> None:
    types = {t.code for t in ccr.referral_types}
    _agency(ccr, s.agency, path, f"{where}.agency")
    for j, code in enumerate(s.types):
        if code not in types:
            raise ConfigError(f"unknown referral type '{code}'", path=path,
                              key=f"{where}.types[{j}]")
    for code in s.types or sorted(types):
        if (s.agency, code) in covered:
            raise ConfigError(f"{s.agency}'s group for '{code}' has a schedule already; "
                              "give each schedule its own types", path=path, key=where)
        covered.add((s.agency, code))
    for j, layer in enumerate(s.layer):
        for k, person in enumerate(layer.people):
            _member(ccr, s.agency, person, path, f"{where}.layer[{j}].people[{k}]")


def _agency(ccr: Ccr, agency: str, path: str, key: str) -> None:
    if ccr.find_agency(agency) is None:
        known = ", ".join(sorted(a.id for a in ccr.agencies))
        raise ConfigError(f"unknown agency '{agency}'; known: {known}", path=path, key=key)


def _member(ccr: Ccr, agency: str, person: str, path: str, key: str) -> None:
    found = ccr.find_person(person)
    if found is None:
        raise ConfigError(f"unknown person '{person}'", path=path, key=key)
    if found.agency != agency:
        raise ConfigError(f"{person} is of {found.agency}, not {agency}: a schedule names "
                          "only its own agency's people", path=path, key=key)
    if person not in group_members(ccr, agency):
        raise ConfigError(f"{person} is not in {agency}'s escalation group: give them the "
                          "'point_person' or 'backup' role in people.toml", path=path, key=key)


def _period(period: Period, path: str, key: str) -> None:
    if (period.from_.tzinfo is None) != (period.until.tzinfo is None):
        raise ConfigError("give 'from' and 'until' both with an offset or both without",
                          path=path, key=key)
    if period.until <= period.from_:
        raise ConfigError("'until' must be after 'from'", path=path, key=f"{key}.until")

