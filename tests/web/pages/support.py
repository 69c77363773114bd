"""What the page tests read off the hub's HTML (table rows, every URL, scripts and styles),
server-sent events off a stream, and a stand-in for the channels the escalation engine
sends on (it accepts every notice, or refuses some addresses)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from hub.adapters.base import Notice, PermanentSendError, Sent

BASE_URL = "https://hub.example.org"
URL_ATTRIBUTES = ("href", "src", "action", "data-live", "data-rows")


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return self.attrs.get("class", "")

    @property
    def reference(self) -> str:
        return self.attrs.get("data-referral", "")


@dataclass
class Script:
    attrs: dict[str, str]
    body: str = ""


class Markup(HTMLParser):
    """One page, read the way the tests need it."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.rows: list[Row] = []
        self.urls: list[str] = []
        self.scripts: list[Script] = []
        self.styled: list[str] = []  # tags with a style attribute
        self.style_blocks = 0
        self.handlers: list[str] = []  # on* attributes
        self._texts: list[str] = []
        self._row: Row | None = None
        self._cell: list[str] | None = None
        self._in_script = False
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._texts).split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "style" in a:
            self.styled.append(tag)
        self.handlers += [k for k in a if k.startswith("on")]
        self.urls += [a[k] for k in URL_ATTRIBUTES if k in a]
        if tag == "tr":
            self._row = Row(a)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag == "script":
            self.scripts.append(Script(a))
            self._in_script = True
        elif tag == "style":
            self.style_blocks += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_script:
            self.scripts[-1].body += data
        self._texts.append(data)


def queue_rows(html: str) -> list[Row]:
    """The queue's rows, in the order shown: cells are reference, from, to, type, urgency,
    age, deadline, level, last notice, flags."""
    return [r for r in Markup(html).rows if "data-referral" in r.attrs]


def references(html: str) -> list[str]:
    return [r.reference for r in queue_rows(html)]


def figure_rows(html: str) -> dict[str, list[str]]:
    """The figures table by agency id: name, received, acknowledged, median, 90th
    percentile, within deadline, loop closed, decline reasons, open now."""
    return {r.attrs["data-agency"]: r.cells for r in Markup(html).rows
            if "data-agency" in r.attrs}


def text(html: str) -> str:
    return Markup(html).text


@dataclass
class Event:
    name: str
    data: dict


async def next_event(response, timeout: float = 3.0) -> Event:
    """The next server-sent event on ``response`` (comments skipped)."""
    while True:
        block = await asyncio.wait_for(response.content.readuntil(b"\n\n"), timeout)
        lines = block.decode().strip().splitlines()
        fields = dict(line.split(": ", 1) for line in lines if not line.startswith(":"))
        if fields:
            return Event(fields["event"], json.loads(fields.get("data", "{}")))


@dataclass
class Outbox:
    """A channel for the escalation engine: accepts every notice, except to ``refuse``."""

    kind: str
    refuse: set[str] = field(default_factory=set)
    sent: list[Notice] = field(default_factory=list)

    async def send(self, notice: Notice) -> Sent:
        if notice.to in self.refuse:
            raise PermanentSendError("mailbox does not exist")
        self.sent.append(notice)
        return Sent(f"{self.kind}-{len(self.sent)}")


@dataclass
class Escalation:
    """The ticker's work done in this process: fire every due rung of the ladder and send
    every due notice, at the hub clock's time."""

    hub: object
    engine: object
    email: Outbox
    sms: Outbox

    async def run_due(self) -> int:
        store, total = self.hub.store, 0
        for _ in range(20):
            now = self.hub.clock.now()
            timers = await store.timers.claim(store.keys.deadlines(), now, 60, 100)
            notices = await store.timers.claim(store.keys.deliveries(), now, 60, 100)
            if not timers and not notices:
                return total
            for member, _ in timers:
                await self.engine.fire(member)
            for member, _ in notices:
                await self.engine.deliver(member)
            total += len(timers) + len(notices)
        raise AssertionError("timers kept coming")

    async def advance(self, seconds: float) -> int:
        self.hub.clock.advance(seconds)
        return await self.run_due()


def screenshots() -> Path:
    """Where the browser tests save their screenshots: HUB_SCREENSHOTS (the README's come
    from `HUB_SCREENSHOTS=docs/screenshots make test`), else a temporary directory, so a
    test run leaves the checkout as it was."""
    where = Path(os.environ.get("HUB_SCREENSHOTS")
                 or Path(tempfile.gettempdir()) / "ccr-hub-screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where
