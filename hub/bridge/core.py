"""The bridge's work, without HTTP to the EHR: seal and submit a handoff, read a Task
back with the EHR's own references put in for the hub's opaque identifiers, and follow
the hub's Tasks for changes. It keeps only the EHR's references, in memory: nothing of a
survivor touches its disk."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.api import fhir
from hub.client.agent import Agent

from .mapping import handoff


@dataclass
class Bridge:
    agent: Agent
    clock: Callable[[], float]
    refs: dict[str, dict[str, str]] = field(default_factory=dict)  # rid -> EHR ids
    seen: dict[str, str] = field(default_factory=dict)  # rid -> versionId last told
    since: float | None = None  # the newest lastUpdated seen by follow()

    @property
    def agency(self) -> str:
        return self.agent.agency

    async def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        """Seal the EHR's resources as a discharge handoff to the destination's group
        (its roster verified against the pinned root), submit it with the consent
        metadata and the C-CDA attached sealed; the Task as the hub now shows it."""
        h = handoff(body, sender_person=self.agent.device.certificate.person,
                    now=int(self.clock()))
        view = await self.agent.send(h.destination, h.referral_type, h.content, h.consent,
                                     urgency=h.urgency, attachments=h.attachments)
        self.refs[view.id] = h.ehr_refs
        return await self.task(view.id)

    async def task(self, rid: str) -> dict[str, Any]:
        return self.for_ehr(await self.agent.api.task(rid))

    def for_ehr(self, task: dict[str, Any]) -> dict[str, Any]:
        """The hub's Task with the EHR's ServiceRequest and Patient as focus and for, where
        this bridge sent it (the hub only knows opaque identifiers)."""
        refs = self.refs.get(task.get("id", ""))
        if not refs:
            return task
        mine = copy.deepcopy(task)
        if "ServiceRequest" in refs:
            mine["focus"] = {"reference": f"ServiceRequest/{refs['ServiceRequest']}"}
        if "Patient" in refs:
            mine["for"] = {"reference": f"Patient/{refs['Patient']}"}
        return fhir.checked(mine, "Task")

    async def search(self, params: dict[str, str]) -> dict[str, Any]:
        bundle = await self.agent.api.tasks(params)
        for entry in bundle.get("entry") or ():
            entry["resource"] = self.for_ehr(entry["resource"])
        return bundle

    async def follow(self) -> list[dict[str, Any]]:
        """The Tasks this agency sent that changed since the last look, oldest news first
        (each version once)."""
        params = {"requester": f"Organization/{self.agency}", "_count": "200"}
        if self.since is not None:
            params["_lastUpdated"] = f"ge{fhir.instant(self.since)}"
        changed: list[dict[str, Any]] = []
        bundle = await self.agent.api.tasks(params)
        while True:
            for entry in bundle.get("entry") or ():
                task = entry["resource"]
                if self.seen.get(task["id"]) != task["meta"]["versionId"]:
                    self.seen[task["id"]] = task["meta"]["versionId"]
                    changed.append(self.for_ehr(task))
            nxt = next((li["url"] for li in bundle.get("link", ())
                        if li["relation"] == "next"), None)
            if nxt is None:
                break
            bundle = await self.agent.api.tasks(_query(nxt))
        if changed:
            newest = max(fhir.parse_instant(t["meta"]["lastUpdated"]) for t in changed)
            self.since = max(self.since or 0.0, newest)
        return sorted(changed, key=lambda t: t["meta"]["lastUpdated"])


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))
