"""The hub's pages (server-rendered with aiohttp-jinja2): sign-in, the coordinators'
dashboard, the browser's device, inbox, thread and send pages (whose script seals and
opens envelopes in the browser), and each role's quick guide (help.py), in the reader's
language (language.py, hub/i18n.py). Metadata only on the server; every page view but the
guides' and sign-in's is audited; no script runs inline."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from hub import i18n

from . import (
    dashboard,
    device,
    drills,
    figures,
    help,
    inbox,
    language,
    mdt,
    milestones,
    referral,
    send,
    signin,
)
from .render import FILTERS, request_query

STATIC = Path(__file__).resolve().parents[1] / "static"


def setup_pages(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.PackageLoader("hub.templates", "pages"),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True)
    env.filters.update(FILTERS)
    env.globals["request_query"] = request_query
    r = app.router
    r.add_get("/", signin.home, name="page.home")
    r.add_get("/signin", signin.form, name="page.signin")
    r.add_post("/language", language.choose, name="page.language")
    r.add_post("/signin", signin.submit, name="page.signin.submit")
    r.add_post("/signout", signin.sign_out, name="page.signout")
    r.add_get("/r/{rid:[0-9a-f]{32}}", referral.link, name="page.link")
    r.add_get("/dashboard", dashboard.queue, name="page.queue")
    r.add_get("/dashboard/rows", dashboard.rows, name="page.queue.rows")
    r.add_get("/dashboard/events", dashboard.events, name="page.queue.events")
    r.add_get("/dashboard/referrals/{rid:[0-9a-f]{32}}", referral.dossier, name="page.referral")
    r.add_post("/dashboard/referrals/{rid:[0-9a-f]{32}}/nudge", referral.nudge,
               name="page.referral.nudge")
    r.add_post("/dashboard/referrals/{rid:[0-9a-f]{32}}/review", referral.review,
               name="page.referral.review")
    r.add_get("/dashboard/figures", figures.page, name="page.figures")
    r.add_get("/dashboard/figures.csv", figures.export, name="page.figures.csv")
    r.add_get("/dashboard/drills", drills.page, name="page.drills")
    r.add_post("/dashboard/drills", drills.start, name="page.drills.start")
    r.add_get("/dashboard/drills/{did:[0-9a-f]{16}}", drills.debrief, name="page.drill")
    r.add_get("/dashboard/drills/{did:[0-9a-f]{16}}/debrief.csv", drills.export,
              name="page.drill.csv")
    r.add_post("/dashboard/drills/{did:[0-9a-f]{16}}/end", drills.end, name="page.drill.end")
    r.add_get("/dashboard/mdt", mdt.page, name="page.mdt")
    r.add_get("/dashboard/mdt.csv", mdt.export, name="page.mdt.csv")
    r.add_get("/device", device.page, name="page.device")
    r.add_get("/inbox", inbox.inbox, name="page.inbox")
    r.add_get("/inbox/{rid:[0-9a-f]{32}}", inbox.thread, name="page.thread")
    r.add_get("/inbox/{rid:[0-9a-f]{32}}/case", inbox.case, name="page.case")
    r.add_post("/inbox/{rid:[0-9a-f]{32}}/milestones", milestones.record,
               name="page.milestone.record")
    r.add_get("/sent", inbox.sent, name="page.sent")
    r.add_get("/send", send.form, name="page.send")
    r.add_get("/help", help.index, name="page.help")
    r.add_get("/help/{role:[a-z-]{1,30}}", help.guide, name="page.help.guide")
    r.add_static("/static/", STATIC, name="static")
