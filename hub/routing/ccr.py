"""The community's definition, from TOML files in one directory per CCR: agencies, people,
referral types, deadline policies, sharing agreements and on-duty schedules (schedules.py).
Checked at start-up: a bad file fails with the file, the key and what is wrong."""

from __future__ import annotations

import tomllib
import zoneinfo
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hub.adapters import SENDERS
from hub.api.forms import Form, form_schema
from hub.errors import ConfigError

from .drills import Scenario, check_drills, read_drills
from .durations import Duration
from .milestones import Milestones, check_milestones, read_milestones
from .patterns import CLOCK, CLOSING, SLUG
from .schedules import Schedules, check_schedules, read_schedules

Slug = Annotated[str, Field(pattern=SLUG)]
Urgency = Literal["routine", "urgent", "emergent"]
Role = Literal["sender", "point_person", "backup", "coordinator", "agency_admin"]
AgencyKind = Literal["hospital", "police", "shelter", "advocacy", "counseling", "prosecutor",
                     "court", "coordination"]


def _duration(value: object) -> object:
    return Duration.parse(value) if isinstance(value, str) else value


DurationText = Annotated[Duration, BeforeValidator(_duration)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BusinessHours(Model):
    days: tuple[Annotated[int, Field(ge=0, le=6)], ...] = Field((0, 1, 2, 3, 4), min_length=1)
    start: str = Field("09:00", pattern=CLOCK)
    end: str = Field("17:00", pattern=CLOSING)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: Any) -> str:
        if end <= info.data.get("start", "00:00"):
            raise ValueError("business hours must end after they start")
        return end


def _known_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # 'America' is a folder
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                         "'America/Chicago'") from None
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone)]


class Agency(Model):
    id: Slug
    name: str = Field(min_length=1)
    kind: AgencyKind
    timezone: TimeZone
    business_hours: BusinessHours = BusinessHours()
    holidays: tuple[date, ...] = ()
    root_public_key: str | None = None


class Contact(Model):
    """One way to reach a person: a channel's kind (one of hub/adapters SENDERS) and its
    address, an email address or a phone number; the channel's adapter says which."""

    kind: str
    address: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    number: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in SENDERS:
            raise ValueError(f"Input should be {' or '.join(repr(k) for k in SENDERS)}")
        return kind

    @model_validator(mode="after")
    def _matches_kind(self) -> Contact:
        field = SENDERS[self.kind].contact_field  # "person": no address, the person's own
        given = {f for f in ("address", "number") if getattr(self, f) is not None}
        if given != ({field} & {"address", "number"}):
            raise ValueError(SENDERS[self.kind].contact_rule)
        return self

    def to(self, person: str) -> str:
        """Where a notice on this channel to ``person`` goes: the contact's address or
        number, or the person (a channel that finds their devices itself, like push)."""
        value = getattr(self, SENDERS[self.kind].contact_field, None)
        return person if value is None else str(value)


class QuietHours(Model):
    start: str = Field(pattern=CLOCK)
    end: str = Field(pattern=CLOCK)


class Person(Model):
    id: Slug
    agency: Slug
    display_name: str = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    channels: tuple[Contact, ...] = ()
    language: Literal["en", "es"] = "en"
    quiet_hours: QuietHours | None = None


class Operator(Model):
    """Someone who runs the hub for the CCR, usually not of any agency: told, with the
    coordinators, when escalation stops and when it runs again (never about a referral)."""

    id: Slug
    display_name: str = Field(min_length=1)
    channels: tuple[Contact, ...] = Field(min_length=1)
    timezone: TimeZone
    language: Literal["en", "es"] = "en"


class ReferralType(Model):
    code: Slug
    label: str = Field(min_length=1)
    default_urgency: Urgency
    form: Form = Field(default_factory=Form, description="the content fields it asks for: "
                       "a base, and fields hidden, renamed or made optional (hub/api/forms.py)")

    @model_validator(mode="after")
    def _form_names_real_fields(self) -> ReferralType:
        try:
            form_schema(self.code, self.form)
        except ValueError as e:
            raise ValueError(f"form: {e}") from None
        return self

    def content_schema(self) -> dict[str, Any]:
        """The JSON Schema of this type's documents (hub/api/forms.py)."""
        return form_schema(self.code, self.form)


class FollowUp(Model):
    """A deadline once a referral is accepted (first contact, outcome...), met when the
    referral reaches ``met_by``."""

    name: Slug
    within: DurationText
    met_by: Literal["in-progress", "completed"] = "completed"


class EscalationStep(Model):
    notify: Literal["point_person", "backups", "coordinator"]
    after: DurationText
    channel: str | None = Field(None, description="reach people first on their contact of "
                                "this kind (e.g. 'voice' for the last rungs), then on the "
                                "others in their order")

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, kind: str | None) -> str | None:
        if kind is not None and kind not in SENDERS:
            raise ValueError(f"Input should be {' or '.join(repr(k) for k in SENDERS)}")
        return kind


class DeadlinePolicy(Model):
    type: Slug
    urgency: Urgency
    ack_within: DurationText
    follow_ups: tuple[FollowUp, ...] = ()
    escalation: tuple[EscalationStep, ...] = Field(min_length=1)
    repeat: int = Field(1, ge=1, le=10)
    claim_pause: DurationText = Duration(amount=15, unit="minutes")
    quiet_hours: Literal["hold", "override"] | None = None  # None: routine holds, others go

    @field_validator("claim_pause")
    @classmethod
    def _wall_time(cls, pause: Duration) -> Duration:
        if pause.unit not in ("minutes", "hours") or not 0 < pause.amount <= 24 * 60:
            raise ValueError("a claim pauses escalation for minutes or hours of wall time, "
                             "e.g. '15m' (at most a day)")
        return pause

    @property
    def pause_seconds(self) -> int:
        """How long a claim from a notice holds the escalation."""
        return self.claim_pause.amount * (60 if self.claim_pause.unit == "minutes" else 3600)

    def holds_for_quiet_hours(self) -> bool:
        """Whether a notice waits out the person's quiet hours under this policy."""
        if self.quiet_hours is not None:
            return self.quiet_hours == "hold"
        return self.urgency == "routine"


class SharingAgreement(Model):
    from_agency: Slug
    to_agency: Slug
    types: tuple[Slug, ...] = Field(min_length=1)
    status_flows_back: bool = True
    outcome_flows_back: bool = False
    retain_after_close: DurationText = Duration(amount=30, unit="days")


class Ccr(Model):
    agencies: tuple[Agency, ...]
    people: tuple[Person, ...]
    referral_types: tuple[ReferralType, ...]
    policies: tuple[DeadlinePolicy, ...]
    agreements: tuple[SharingAgreement, ...]
    operators: tuple[Operator, ...] = ()
    schedules: Schedules = Schedules()  # schedules.toml
    drills: tuple[Scenario, ...] = ()  # drills/*.toml
    milestones: Milestones = Milestones()  # milestones.toml

    @cached_property
    def _agencies(self) -> dict[str, Agency]:
        return {a.id: a for a in self.agencies}

    @cached_property
    def _people(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def _types(self) -> dict[str, ReferralType]:
        return {t.code: t for t in reversed(self.referral_types)}  # the first wins

    @cached_property
    def _agreements(self) -> dict[tuple[str, str, str], SharingAgreement]:
        return {(a.from_agency, a.to_agency, t): a for a in reversed(self.agreements)
                for t in a.types}

    @cached_property
    def _policies(self) -> dict[tuple[str, str], DeadlinePolicy]:
        return {(p.type, p.urgency): p for p in reversed(self.policies)}  # the first wins

    def find_agency(self, agency_id: str) -> Agency | None:
        return self._agencies.get(agency_id)

    def agency(self, agency_id: str) -> Agency:
        """The agency a referral or notice names: one this CCR lists (a referral's ends are
        checked when it is made), unless it has since left the configuration."""
        found = self._agencies.get(agency_id)
        if found is None:
            raise LookupError(f"agency '{agency_id}' is not in this CCR's configuration "
                              "(was it removed from the CCR file?)")
        return found

    def find_person(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    @cached_property
    def _by_agency(self) -> dict[str, tuple[Person, ...]]:
        found: dict[str, list[Person]] = {}
        for p in self.people:
            found.setdefault(p.agency, []).append(p)
        return {agency: tuple(people) for agency, people in found.items()}

    def people_of(self, agency_id: str) -> tuple[Person, ...]:
        return self._by_agency.get(agency_id, ())

    def referral_type(self, code: str) -> ReferralType | None:
        return self._types.get(code)

    def agreement(self, from_agency: str, to_agency: str,
                  referral_type: str) -> SharingAgreement | None:
        return self._agreements.get((from_agency, to_agency, referral_type))

    def drill(self, scenario: str) -> Scenario | None:
        return next((s for s in self.drills if s.id == scenario), None)

    def policy(self, referral_type: str, urgency: str) -> DeadlinePolicy | None:
        return self._policies.get((referral_type, urgency))


# file -> its tables ([[section]] entries) and the model of each
FILES: dict[str, dict[str, type[Model]]] = {
    "agencies.toml": {"agency": Agency},
    "people.toml": {"person": Person, "operator": Operator},
    "referral_types.toml": {"type": ReferralType},
    "policies.toml": {"policy": DeadlinePolicy},
    "agreements.toml": {"agreement": SharingAgreement}}


def _read(path: Path, sections: dict[str, type[Model]]) -> dict[str, tuple[Model, ...]]:
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path=str(path)) from None
    unknown = set(doc) - set(sections)
    if unknown:
        tables = " and ".join(f"[[{s}]]" for s in sections)
        raise ConfigError(f"unknown table; this file holds {tables} entries",
                          path=str(path), key=sorted(unknown)[0])
    return {section: tuple(_entries(path, section, model, doc.get(section, [])))
            for section, model in sections.items()}


def _entries(path: Path, section: str, model: type[Model], raw: list[object]) -> list[Model]:
    items = []
    for i, entry in enumerate(raw):
        try:
            items.append(model.model_validate(entry))
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            key = f"{section}[{i}].{where}" if where else f"{section}[{i}]"
            raise ConfigError(err["msg"].removeprefix("Value error, "), path=str(path),
                              key=key) from None
    return items


def load_ccr(directory: Path) -> Ccr:
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError("no such CCR directory", path=str(directory))
    found: dict[str, tuple[Model, ...]] = {}
    for name, sections in FILES.items():
        found.update(_read(directory / name, sections))
    ccr = Ccr.model_validate({  # each section holds its own model's entries (FILES)
        "agencies": found["agency"], "people": found["person"], "referral_types": found["type"],
        "policies": found["policy"], "agreements": found["agreement"],
        "operators": found["operator"], "schedules": read_schedules(directory),
        "drills": read_drills(directory),
        "milestones": read_milestones(directory)})
    from .groups import check_groups
    from .references import check_references

    check_references(ccr, directory)
    check_groups(ccr, directory)
    check_schedules(ccr, ccr.schedules, directory)
    check_drills(ccr, directory)
    check_milestones({t.code for t in ccr.referral_types}, ccr.milestones, directory)
    return ccr

