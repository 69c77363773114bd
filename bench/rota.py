"""A CCR for the escalation benchmark: a hospital sending to 200 shelters of 10 people
each (2,000 people). The first 100 shelters run on schedules (a day and a night rotation
of point persons, a daily backup rotation, overrides in schedules.toml and more added live,
away periods); the other 100 keep a fixed point person and backups: the baseline, measured
in the same run on the same workers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.services.principal import Principal

GROUPS, PEOPLE = 100, 10  # scheduled groups, people in each (the same again fixed)
TYPE = "discharge-handoff"
SCHEDULED = [f"shelter-s{i:03d}" for i in range(GROUPS)]
FIXED = [f"shelter-f{i:03d}" for i in range(GROUPS)]


def _agency(agency: str, name: str, kind: str) -> str:
    return (f'[[agency]]\nid = "{agency}"\nname = "{name}"\nkind = "{kind}"\n'
            'timezone = "America/Chicago"\n'
            'business_hours = { days = [0, 1, 2, 3, 4, 5, 6], start = "00:00", end = "24:00" }\n'
            "holidays = [2026-12-25, 2027-01-01]\n")


def _person(pid: str, agency: str, roles: list[str]) -> str:
    quoted = ", ".join(f'"{r}"' for r in roles)
    return (f'[[person]]\nid = "{pid}"\nagency = "{agency}"\ndisplay_name = "{pid}"\n'
            f'roles = [{quoted}]\n'
            f'channels = [{{ kind = "email", address = "{pid}@bench.example.org" }}]\n')


def people_of(agency: str) -> list[str]:
    return [f"{agency}-p{i}" for i in range(PEOPLE)]


def _schedule(agency: str) -> str:
    p = people_of(agency)

    def layer(name: str, duty: str, people: list[str], starts: str, span: str,
              turn: int = 7) -> str:
        names = ", ".join(f'"{x}"' for x in people)
        return (f'[[schedule.layer]]\nname = "{name}"\nduty = "{duty}"\npeople = [{names}]\n'
                f"turn_days = {turn}\nstarts = {starts}\n{span}")

    return "".join([
        f'[[schedule]]\nagency = "{agency}"\n\n',
        layer("day", "point_person", p[0:4], "2026-11-02T08:00:00",
              'from = "08:00"\nuntil = "20:00"\n'),
        layer("night", "point_person", p[4:7], "2026-11-02T20:00:00",
              'from = "20:00"\nuntil = "08:00"\n'),
        layer("second", "backup", p[7:10], "2026-11-02T08:00:00", "", turn=1),
        f'[[override]]\nagency = "{agency}"\nperson = "{p[3]}"\n'
        "from = 2026-12-24T18:00:00\nuntil = 2026-12-26T08:00:00\n\n",
    ])


def write_ccr(directory: Path) -> Path:
    """The benchmark's CCR, as TOML files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    receivers = SCHEDULED + FIXED
    agencies = [_agency("mercy-hospital", "Mercy", "hospital"),
                _agency("ccr-coordination", "Coordination", "coordination")]
    agencies += [_agency(a, a, "shelter") for a in receivers]
    people = [_person("mercy-nurse-1", "mercy-hospital", ["sender", "point_person",
                                                          "agency_admin"]),
              _person("ccr-coordinator", "ccr-coordination", ["coordinator", "agency_admin"])]
    for agency in receivers:
        for i, pid in enumerate(people_of(agency)):
            roles = ["point_person"] if i < 7 else ["backup"]
            people.append(_person(pid, agency, roles + (["agency_admin"] if i == 0 else [])))
    files = {
        "agencies.toml": "\n".join(agencies),
        "people.toml": "\n".join(people),
        "referral_types.toml": f'[[type]]\ncode = "{TYPE}"\nlabel = "Handoff"\n'
                               'default_urgency = "urgent"\n',
        "policies.toml": f'[[policy]]\ntype = "{TYPE}"\nurgency = "urgent"\nack_within = "2h"\n'
                         'escalation = [{ notify = "point_person", after = "0m" },\n'
                         '              { notify = "backups", after = "1h" },\n'
                         '              { notify = "coordinator", after = "2h" }]\n',
        "agreements.toml": "".join(f'[[agreement]]\nfrom_agency = "mercy-hospital"\n'
                                   f'to_agency = "{a}"\ntypes = ["{TYPE}"]\n\n'
                                   for a in receivers),
        "schedules.toml": "\n".join(_schedule(a) for a in SCHEDULED),
    }
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


async def add_live_changes(services, now: float) -> int:
    """Overrides and away periods as admins add them live: for each scheduled shelter, its
    backups take turns as point person for the next hours, one is away, and one more
    override lies ahead. How many were added."""
    async def one(agency: str) -> int:
        p = people_of(agency)
        admin = Principal(p[0], agency, frozenset({"point_person", "agency_admin"}), "bench")
        for i, (person, start, hours) in enumerate(((p[7], -1, 3), (p[8], 2, 3),
                                                    (p[5], 30, 12), (p[1], 60, 24))):
            await services.schedules.add_override(admin, agency, person,
                                                  _iso(now + start * 3600),
                                                  _iso(now + (start + hours) * 3600),
                                                  "point_person" if i < 3 else "backup")
        await services.schedules.add_away(admin, p[9], _iso(now - 3600), _iso(now + 86400))
        return 5

    return sum(await asyncio.gather(*(one(a) for a in SCHEDULED)))


def _iso(at: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
