"""Drill scenarios, from ``drills/*.toml`` in the CCR's directory (optional): a rehearsal
on the real hub that a coordinator starts (services/drills.py).

A scenario names the people it may notify (nobody else is told, whatever the ladder or
the schedule says) and its steps: each a referral from one agency (in the name of one of its
senders) to another, of a type and urgency, with a made-up story. The content sealed for a
step is generated from the story (hub/api/drills.py) and marked as a drill. A step may be
an onward referral (``onward_from``: the number, from 1, of an earlier step): the agency
that step went to forwards its referral with the record (``covers``: the fields that go
onward) for a ``purpose``, as ``hub case forward`` does for real.

Checked at start-up, with the file and key of what is wrong: agencies, people and types
exist, the sender is a sender of the agency it sends from, a sharing agreement allows the
step, an escalation policy covers its type and urgency (without one its referral would
reach nobody), the people named exist, no two steps share a destination, type and urgency
(the hub tells them apart by these), and an onward step forwards an earlier step's referral
from the agency that step went to."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.api.casefile import EVERYTHING
from hub.api.contents import Need
from hub.api.drills import drill_content
from hub.errors import ConfigError

from .patterns import SLUG

if TYPE_CHECKING:
    from .ccr import Ccr

FOLDER = "drills"
Slug = Annotated[str, Field(pattern=SLUG)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Step(Model):
    """One referral of the drill."""

    from_agency: Slug = Field(alias="from")
    sender: Slug  # the person it is sent in the name of (a sender of ``from``)
    to: Slug
    type: Slug
    urgency: Literal["routine", "urgent", "emergent"] = "urgent"
    story: str = Field(min_length=1, max_length=500,
                       description="what the receiving agency is told; made up")
    needs: tuple[Need, ...] = Field(("shelter",), min_length=1)
    onward_from: int | None = Field(None, ge=1, le=10, description="an onward referral: the "
                                    "number (from 1) of the earlier step it forwards")
    purpose: Slug | None = Field(None, description="an onward step's forwarding purpose, "
                                 "e.g. 'counseling'")
    covers: tuple[str, ...] = Field(("*",), min_length=1, max_length=64,
                                    description="an onward step: the fields of the earlier "
                                    "handoffs that go onward ('*': all)")

    @model_validator(mode="after")
    def _onward(self) -> Step:
        if (self.onward_from is None) != (self.purpose is None):
            raise ValueError("an onward step names both the step it forwards (onward_from) "
                             "and why (purpose); other steps name neither")
        return self


class Scenario(Model):
    id: Slug
    title: str = Field(min_length=1, max_length=120)
    title_es: str | None = Field(None, max_length=120)
    summary: str = Field("", max_length=1000)
    people: tuple[Slug, ...] = Field(min_length=1,
                                     description="the only people a notice may reach")
    steps: tuple[Step, ...] = Field(min_length=1, max_length=10, alias="step")

    def title_in(self, language: str) -> str:
        return self.title_es if language == "es" and self.title_es else self.title


def read_drills(directory: Path) -> tuple[Scenario, ...]:
    """Every scenario under ``directory``/drills, in file-name order (none: no folder)."""
    folder = Path(directory) / FOLDER
    if not folder.is_dir():
        return ()
    return tuple(_read(path) for path in sorted(folder.glob("*.toml")))


def _read(path: Path) -> Scenario:
    try:
        doc = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path=str(path)) from None
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or None
        raise ConfigError(err["msg"].removeprefix("Value error, "), path=str(path),
                          key=key) from None
    if scenario.id != path.stem:
        raise ConfigError(f"a scenario's id is its file's name: '{path.stem}'", path=str(path),
                          key="id")
    return scenario


def check_drills(ccr: Ccr, directory: Path) -> None:
    for scenario in ccr.drills:
        path = str(Path(directory) / FOLDER / f"{scenario.id}.toml")  # its id is its name
        for i, person in enumerate(scenario.people):
            if ccr.find_person(person) is None:
                raise ConfigError(f"unknown person '{person}'", path=path, key=f"people[{i}]")
        for i, step in enumerate(scenario.steps):
            problem = _step_problem(ccr, step) or _onward_problem(scenario, i)
            if problem:
                raise ConfigError(problem, path=path, key=f"step[{i}]")


def _step_problem(ccr: Ccr, step: Step) -> str | None:
    for agency in (step.from_agency, step.to):
        if ccr.find_agency(agency) is None:
            return f"unknown agency '{agency}'"
    if ccr.referral_type(step.type) is None:
        return f"unknown referral type '{step.type}'"
    sender = ccr.find_person(step.sender)
    if sender is None or sender.agency != step.from_agency or "sender" not in sender.roles:
        return f"'{step.sender}' is not a sender of {step.from_agency}"
    if ccr.agreement(step.from_agency, step.to, step.type) is None:
        return (f"no sharing agreement lets {step.from_agency} send '{step.type}' to "
                f"{step.to}: a drill follows the real agreements")
    if ccr.policy(step.type, step.urgency) is None:
        return _no_policy(ccr, step)
    return None


def _no_policy(ccr: Ccr, step: Step) -> str:
    """Without an escalation policy a step's referral would reach nobody, silently."""
    has = [u for u in ("routine", "urgent", "emergent") if ccr.policy(step.type, u)]
    fix = (f"give the step an urgency that has one ({', '.join(has)}) or add" if has
           else "add")
    return (f"no escalation policy for '{step.type}', {step.urgency}, so the step would "
            f"reach nobody: {fix} a [[policy]] with type = \"{step.type}\" and urgency = "
            f"\"{step.urgency}\" to policies.toml")


def _onward_problem(scenario: Scenario, index: int) -> str | None:
    """Steps differ in their envelope's header (destination, type, urgency); an onward step
    forwards an earlier step's referral, from the agency it went to."""
    step = scenario.steps[index]
    if any((x.to, x.type, x.urgency) == (step.to, step.type, step.urgency)
           for x in scenario.steps[:index]):
        return (f"step {index + 1} goes to {step.to} as '{step.type}', {step.urgency}, as an "
                "earlier step does: the hub tells a drill's steps apart by these three")
    if step.onward_from is None:
        return None
    if step.onward_from > index:
        return (f"onward_from = {step.onward_from}: an onward step forwards the referral of "
                f"an earlier step (1 to {index})" if index else
                "the first step cannot be onward: there is no referral before it to forward")
    parent = scenario.steps[step.onward_from - 1]
    if parent.to != step.from_agency:
        return (f"step {step.onward_from} went to {parent.to}, so only {parent.to} can "
                f"forward it onward, not {step.from_agency}")
    fields = set(json.loads(drill_content(parent.type, parent.story, parent.needs,
                                          sender=parent.sender, now=0)))
    unknown = set(step.covers) - fields - {EVERYTHING}
    if unknown:
        return (f"covers names {', '.join(sorted(unknown))}, which step {step.onward_from}'s "
                f"{parent.type} does not have; it has {', '.join(sorted(fields))}")
    return None
