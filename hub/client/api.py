"""The hub's HTTP API, one method per endpoint, typed with the same pydantic models the
hub validates with. Transport only: no keys, no cryptography (see agent.py)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import date
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel

from hub.api import schemas as s
from hub.api.mdt import AgendaView
from hub.api.milestones import MilestoneList, MilestoneRecord

from .errors import HubApiError, Unavailable, error_for

M = TypeVar("M", bound=BaseModel)
OCTETS = "application/octet-stream"
RETRIES = 5
LONGEST_WAIT = 30.0  # seconds: a Retry-After longer than this is cut to it


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class HubApi:
    """An authenticated session with one hub. Safe requests (reads, and writes that the hub
    makes idempotent: a submission, reply or attachment under its envelope id) are retried
    after a timeout or a 503, no sooner than the 503's Retry-After, with the same bytes:
    the envelope is never sealed again, so a retry never makes a second referral."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 session: aiohttp.ClientSession | None = None):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> HubApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _send(self, method: str, path: str, *, json: Any = None, data: bytes | None = None,
                    params: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        """Status, body and the Retry-After asked for (seconds; 0 when none)."""
        headers = {"Authorization": f"Bearer {self._token}"}
        if data is not None:
            headers["Content-Type"] = OCTETS
        async with self._client().request(method, self.base_url + path, json=json, data=data,
                                          params=params, headers=headers) as r:
            return r.status, await r.read(), _seconds(r.headers.get("Retry-After"))

    async def request(self, method: str, path: str, *, json: Any = None,
                      data: bytes | None = None, params: dict[str, str] | None = None,
                      retry: bool = False) -> bytes:
        """The response body of a 2xx answer; otherwise a typed HubApiError."""
        attempts = RETRIES if retry else 1
        for attempt in range(attempts):
            try:
                status, body, wait = await self._send(method, path, json=json, data=data,
                                                      params=params)
            except (TimeoutError, aiohttp.ClientConnectionError) as e:
                if attempt + 1 == attempts:
                    raise Unavailable(503, "unreachable",
                                      f"cannot reach the hub at {self.base_url}: {e}") from None
                await asyncio.sleep(0.2 * 2 ** attempt)
                continue
            if status == 503 and attempt + 1 < attempts:
                await asyncio.sleep(min(LONGEST_WAIT, max(0.2 * 2 ** attempt, wait)))
                continue
            if status >= 400:
                raise _error(status, body)
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    async def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return model.model_validate_json(await self.request(method, path, **kwargs))

    # -- directory ---------------------------------------------------------------------------
    async def me(self) -> s.Me:
        return await self._model(s.Me, "GET", "/v1/me", retry=True)

    async def agencies(self) -> list[s.AgencyView]:
        return (await self._model(s.AgencyList, "GET", "/v1/agencies", retry=True)).agencies

    async def roster(self, agency: str) -> s.RosterView:
        return await self._model(s.RosterView, "GET", f"/v1/agencies/{agency}/roster",
                                 retry=True)

    async def roster_log(self, start: int = 0) -> s.RosterLog:
        return await self._model(s.RosterLog, "GET", "/v1/roster-log",
                                 params={"from": str(start)}, retry=True)

    async def offboard(self, agency: str, person: str, reason: str) -> s.Offboarded:
        return await self._model(s.Offboarded, "POST",
                                 f"/v1/agencies/{agency}/people/{person}/offboard",
                                 json={"reason": reason})

    async def offboarded(self, agency: str) -> list[str]:
        return (await self._model(s.OffboardedList, "GET", f"/v1/agencies/{agency}/offboarded",
                                  retry=True)).people

    async def unreadable(self, agency: str, by: str = "duty") -> s.UnreadableList:
        """The open referrals no one on duty now can read (``by`` 'duty'), or no current
        device of their group ('group')."""
        return await self._model(s.UnreadableList, "GET",
                                 f"/v1/agencies/{agency}/unreadable?by={by}", retry=True)

    async def publish_roster(self, agency: str, signed: dict[str, str]) -> s.RosterView:
        return await self._model(s.RosterView, "PUT", f"/v1/agencies/{agency}/roster",
                                 json=signed, retry=True)

    # -- milestones and the case review -----------------------------------------------------
    async def record_milestone(self, rid: str, code: str) -> MilestoneRecord:
        """Record a milestone reached (the same record again when it was recorded before)."""
        return await self._model(MilestoneRecord, "POST", f"/v1/referrals/{rid}/milestones",
                                 json={"code": code}, retry=True)

    async def milestones(self, rid: str) -> MilestoneList:
        return await self._model(MilestoneList, "GET", f"/v1/referrals/{rid}/milestones",
                                 retry=True)

    async def mdt_agenda(self, day: date | None = None, agency: str | None = None,
                         page: int = 1, limit: int | None = None) -> AgendaView:
        """One page of the agenda (``next`` names the one after, if any)."""
        params = {k: str(v) for k, v in (("date", day.isoformat() if day else None),
                                         ("agency", agency), ("page", page),
                                         ("limit", limit)) if v is not None}
        return await self._model(AgendaView, "GET", "/v1/mdt/agenda", params=params,
                                 retry=True)

    # -- on-duty schedules -------------------------------------------------------------------
    async def schedule(self, agency: str) -> s.ScheduleView:
        return await self._model(s.ScheduleView, "GET", f"/v1/agencies/{agency}/schedule",
                                 retry=True)

    async def add_override(self, agency: str, person: str, start: str, until: str,
                           duty: str = "point_person") -> s.ScheduleEntry:
        return await self._model(s.ScheduleEntry, "POST",
                                 f"/v1/agencies/{agency}/schedule/overrides",
                                 json={"person": person, "from": start, "until": until,
                                       "duty": duty})

    async def add_away(self, agency: str, person: str, start: str, until: str
                       ) -> s.ScheduleEntry:
        return await self._model(s.ScheduleEntry, "POST", f"/v1/agencies/{agency}/schedule/away",
                                 json={"person": person, "from": start, "until": until})

    async def remove_schedule_entry(self, agency: str, entry: str) -> s.Removed:
        which = "away" if entry.startswith("a-") else "overrides"
        return await self._model(s.Removed, "DELETE",
                                 f"/v1/agencies/{agency}/schedule/{which}/{entry}")

    # -- referrals ---------------------------------------------------------------------------
    # -- drills (coordinators) ------------------------------------------------------------
    async def drill_scenarios(self) -> s.ScenarioList:
        return await self._model(s.ScenarioList, "GET", "/v1/drills/scenarios", retry=True)

    async def drills(self) -> s.DrillList:
        return await self._model(s.DrillList, "GET", "/v1/drills", retry=True)

    async def start_drill(self, scenario: str) -> s.DrillView:
        return await self._model(s.DrillView, "POST", "/v1/drills", json={"scenario": scenario})

    async def drill(self, did: str) -> s.DrillView:
        return await self._model(s.DrillView, "GET", f"/v1/drills/{did}", retry=True)

    async def submit_drill(self, did: str, envelope: bytes, *, parent: str | None = None,
                           case_link: str | None = None) -> s.ReferralView:
        body = {"envelope": _b64(envelope), "parent": parent, "case_link": case_link}
        return await self._model(s.ReferralView, "POST", f"/v1/drills/{did}/referrals",
                                 json={k: v for k, v in body.items() if v is not None})

    async def drill_envelope(self, did: str, rid: str) -> bytes:
        """One of the drill's sealed envelopes, for the drill sender device that forwards it."""
        return await self.request("GET", f"/v1/drills/{did}/referrals/{rid}/envelope",
                                  retry=True)

    async def drill_debrief(self, did: str) -> s.DebriefView:
        return await self._model(s.DebriefView, "GET", f"/v1/drills/{did}/debrief", retry=True)

    async def drill_debrief_csv(self, did: str) -> str:
        return (await self.request("GET", f"/v1/drills/{did}/debrief.csv", retry=True)).decode()

    async def end_drill(self, did: str) -> s.DebriefView:
        return await self._model(s.DebriefView, "DELETE", f"/v1/drills/{did}")

    async def submit(self, envelope: bytes, consent: dict[str, Any], *,
                     parent: str | None = None, case_link: str | None = None
                     ) -> s.ReferralView:
        body: dict[str, Any] = {"envelope": _b64(envelope), "consent": consent}
        if parent is not None:
            body["parent"] = parent
        if case_link is not None:
            body["case_link"] = case_link
        return await self._model(s.ReferralView, "POST", "/v1/referrals", retry=True, json=body)

    async def onward(self, rid: str) -> list[s.OnwardView]:
        return (await self._model(s.OnwardList, "GET", f"/v1/referrals/{rid}/onward",
                                  retry=True)).onward

    async def _list(self, which: str, statuses: tuple[str, ...], offset: int,
                    limit: int) -> list[s.ReferralView]:
        params = {"offset": str(offset), "limit": str(limit)}
        if statuses:
            params["status"] = ",".join(statuses)
        return (await self._model(s.ReferralList, "GET", f"/v1/{which}", params=params,
                                  retry=True)).referrals

    async def inbox(self, *statuses: str, offset: int = 0, limit: int = 50
                    ) -> list[s.ReferralView]:
        return await self._list("inbox", statuses, offset, limit)

    async def outbox(self, *statuses: str, offset: int = 0, limit: int = 50
                     ) -> list[s.ReferralView]:
        return await self._list("outbox", statuses, offset, limit)

    async def referral(self, rid: str) -> s.ReferralView:
        return await self._model(s.ReferralView, "GET", f"/v1/referrals/{rid}", retry=True)

    async def history(self, rid: str) -> s.History:
        return await self._model(s.History, "GET", f"/v1/referrals/{rid}/history", retry=True)

    async def envelope(self, rid: str, *, to_grant: bool = False) -> bytes:
        """The sealed envelope; ``to_grant``: fetched only to hand its key on (the hub does
        not record it as opened)."""
        return await self.request("GET", f"/v1/referrals/{rid}/envelope", retry=True,
                                  params={"for": "grant"} if to_grant else None)

    async def grants(self, rid: str) -> s.GrantList:
        return await self._model(s.GrantList, "GET", f"/v1/referrals/{rid}/grants", retry=True)

    async def post_grants(self, rid: str, grants: list[bytes]) -> s.GrantsStored:
        return await self._model(s.GrantsStored, "POST", f"/v1/referrals/{rid}/grants",
                                 json={"grants": [_b64(g) for g in grants]}, retry=True)

    async def acknowledge(self, rid: str, receipt: bytes) -> s.ReferralView:
        return await self._model(s.ReferralView, "POST", f"/v1/referrals/{rid}/acknowledge",
                                 json={"receipt": _b64(receipt)})

    async def move(self, rid: str, action: str, body: dict[str, Any] | None = None
                   ) -> s.ReferralView:
        """accept, reject (reason), progress, complete (outcome), cancel (reason),
        revoke-consent (reason) or consent (share_outcome: false)."""
        return await self._model(s.ReferralView, "POST", f"/v1/referrals/{rid}/{action}",
                                 json=body or {})

    # -- threads -----------------------------------------------------------------------------
    async def post_reply(self, rid: str, envelope: bytes) -> s.Stored:
        return await self._model(s.Stored, "POST", f"/v1/referrals/{rid}/replies", retry=True,
                                 json={"envelope": _b64(envelope)})

    async def replies(self, rid: str) -> list[s.ReplyView]:
        return (await self._model(s.ReplyList, "GET", f"/v1/referrals/{rid}/replies",
                                  retry=True)).replies

    async def reply_envelope(self, rid: str, reply_id: str) -> bytes:
        return await self.request("GET", f"/v1/referrals/{rid}/replies/{reply_id}", retry=True)

    async def put_attachment(self, rid: str, index: int, blob: bytes | bytearray
                             ) -> s.Stored:
        return await self._model(s.Stored, "PUT", f"/v1/referrals/{rid}/attachments/{index}",
                                 data=blob, retry=True)

    # -- the FHIR facade (/fhir/R4): Tasks as JSON objects -------------------------------
    async def task(self, rid: str) -> dict[str, Any]:
        return json.loads(await self.request("GET", f"/fhir/R4/Task/{rid}", retry=True))

    async def tasks(self, params: dict[str, str]) -> dict[str, Any]:
        """A Task search's searchset Bundle."""
        return json.loads(await self.request("GET", "/fhir/R4/Task", params=params,
                                             retry=True))

    async def attachment(self, rid: str, index: int) -> bytes:
        return await self.request("GET", f"/v1/referrals/{rid}/attachments/{index}",
                                  retry=True)

    # -- forms and purging -------------------------------------------------------------------
    async def content_schema(self, kind: str) -> dict[str, Any]:
        """The JSON Schema of a referral type's documents (or 'reply'), as the CCR's form
        for it says (hub/api/forms.py)."""
        return json.loads(await self.request("GET", f"/v1/schemas/{kind}.json", retry=True))

    async def replace_envelope(self, rid: str, envelope: bytes) -> s.ReferralView:
        """Put a reduced envelope in place of the referral's (receiving agency only)."""
        return await self._model(s.ReferralView, "PUT", f"/v1/referrals/{rid}/envelope",
                                 retry=True, json={"envelope": _b64(envelope)})


def _seconds(retry_after: str | None) -> float:
    """A Retry-After in seconds (the hub sends seconds; a date or garbage counts as none)."""
    try:
        return max(0.0, float(retry_after or 0))
    except ValueError:
        return 0.0


def _error(status: int, body: bytes) -> HubApiError:
    """The JSON API's error, or the FHIR facade's OperationOutcome, as a HubApiError."""
    try:
        detail = s.ErrorBody.model_validate_json(body).error
        return error_for(status, detail.code, detail.message)
    except ValueError:
        pass
    try:
        issue = json.loads(body)["issue"][0]
        return error_for(status, issue["details"]["coding"][0]["code"], issue["diagnostics"])
    except (ValueError, KeyError, IndexError, TypeError):
        return error_for(status, "http_error", f"the hub answered {status}")
