"""A Task search's parameters read into a TaskQuery (services/tasksearch.py), and the
links of a searchset Bundle's pages. A parameter the hub does not support is refused,
never ignored: an EHR must not take a wider answer for the one it asked."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from multidict import MultiMapping

from hub.api import fhir
from hub.api.codes import Codes
from hub.errors import BadRequest
from hub.services.tasksearch import TaskQuery
from hub.web.context import whole_number

# name -> what the CapabilityStatement says of it
PARAMETERS = {
    "owner": ("reference", "the receiving agency: Organization/<agency id>"),
    "requester": ("reference", "the sending agency: Organization/<agency id>"),
    "status": ("token", "Task statuses, comma-separated (any of them)"),
    "_lastUpdated": ("date", "gt, ge, lt, le or eq and an instant; may be repeated"),
    "_id": ("token", "referral ids, comma-separated"),
}
RESULT = {"_count": "page size, 1-200 (default 50)",
          "_offset": "where the page starts (the Bundle's next and previous links set it)",
          "_format": "json only"}
MAX_COUNT = 200
_AGENCY = re.compile(r"(?:Organization/)?([a-z0-9][a-z0-9-]{0,31})")
_ID = re.compile(r"[0-9a-f]{32}")
_PREFIX = re.compile(r"(gt|ge|lt|le|eq)?(.+)")


def query(params: MultiMapping[str]) -> TaskQuery:
    unknown = sorted(set(params) - set(PARAMETERS) - set(RESULT))
    if unknown:
        raise BadRequest(f"unsupported search parameter(s) {', '.join(unknown)}; Task search "
                         f"takes {', '.join([*PARAMETERS, *RESULT])} (see /fhir/R4/metadata)",
                         code=Codes.BAD_QUERY)
    if params.get("_format", "json") not in ("json", fhir.FHIR_JSON, "application/json"):
        raise BadRequest("_format must be json", code=Codes.BAD_QUERY)
    return TaskQuery(
        owner=_agency(params, "owner"), requester=_agency(params, "requester"),
        statuses=_statuses(params.get("status")), updated=_updated(params),
        ids=_ids(params.get("_id")),
        count=whole_number(params.get("_count", "50"), "_count", 1, MAX_COUNT,
                           code=Codes.BAD_QUERY),
        offset=whole_number(params.get("_offset", "0"), "_offset", 0, 1_000_000,
                            code=Codes.BAD_QUERY))


def _agency(params: MultiMapping[str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    found = _AGENCY.fullmatch(raw)
    if not found:
        raise BadRequest(f"{name} must be Organization/<agency id>, e.g. "
                         f"{name}=Organization/harbor-house", code=Codes.BAD_QUERY)
    return found.group(1)


def _statuses(raw: str | None) -> frozenset[str] | None:
    if raw is None:
        return None
    wanted = frozenset(raw.split(","))
    if not wanted <= set(fhir.TASK_STATUSES):
        raise BadRequest(f"unknown status in '{raw}'; a Task here is one of "
                         f"{', '.join(fhir.TASK_STATUSES)}", code=Codes.BAD_QUERY)
    return wanted


def _updated(params: MultiMapping[str]) -> tuple[tuple[str, float], ...]:
    bounds = []
    for raw in params.getall("_lastUpdated", ()):
        found = _PREFIX.fullmatch(raw)
        prefix, value = (found.group(1) or "eq", found.group(2)) if found else ("", raw)
        try:
            bounds.append((prefix, fhir.parse_instant(value)))
        except ValueError:
            raise BadRequest(f"_lastUpdated={raw}: use gt, ge, lt, le or eq and an instant "
                             "with its zone, e.g. gt2026-12-01T08:00:00Z",
                             code=Codes.BAD_QUERY) from None
    return tuple(bounds)


def _ids(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    ids = tuple(raw.split(","))
    if not all(_ID.fullmatch(i) for i in ids) or len(ids) > MAX_COUNT:
        raise BadRequest(f"_id takes up to {MAX_COUNT} referral ids (32 hex digits), "
                         "comma-separated", code=Codes.BAD_QUERY)
    return ids


def links(base: str, params: MultiMapping[str], q: TaskQuery, more: bool
          ) -> list[dict[str, str]]:
    """self, and next and previous where there are such pages."""
    kept = [(k, v) for k, v in params.items() if k != "_offset"]

    def at(offset: int) -> str:
        return f"{base}/Task?{urlencode([*kept, ('_offset', str(offset))])}"

    found = [{"relation": "self", "url": at(q.offset)}]
    if more:
        found.append({"relation": "next", "url": at(q.offset + q.count)})
    if q.offset:
        found.append({"relation": "previous", "url": at(max(0, q.offset - q.count))})
    return found
