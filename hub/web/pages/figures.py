"""Figures per agency over a chosen period, with charts drawn by the server, and the same
aggregates as CSV for the team meeting (nothing per referral)."""

from __future__ import annotations

from aiohttp import web

from hub.i18n import N_
from hub.services.figures import Figures, Period, to_csv

from ..context import SERVICES
from .charts import bar_chart
from .render import duration, percent
from .session import query, render, session, signed_in


def charts(figures: Figures) -> list:
    rows = figures.agencies
    return [
        bar_chart(N_("Time to acknowledge"), (N_("Median"), N_("90th percentile")), [
            (a.name, [(a.ack_median_s, duration(a.ack_median_s)),
                      (a.ack_p90_s, duration(a.ack_p90_s))]) for a in rows]),
        bar_chart(N_("Share of those received (%)"),
                  (N_("Within the deadline"), N_("Loop closed")), [
            (a.name, [(_p(a.in_time), percent(a.in_time)),
                      (_p(a.loop_closed), percent(a.loop_closed))]) for a in rows], top=100),
        bar_chart(N_("Referrals"), (N_("Received in the period"), N_("Open now")), [
            (a.name, [(float(a.received), str(a.received)),
                      (float(a.open_now), str(a.open_now))]) for a in rows]),
    ]


def _p(share: float | None) -> float | None:
    return None if share is None else 100 * share


@signed_in("dashboard.figures")
async def page(request: web.Request) -> web.Response:
    period = query(request, Period)
    figures = await request.app[SERVICES].figures.figures(session(request).principal, period)
    return render(request, "figures.html", {"figures": figures, "charts": charts(figures),
                                            "period": period, "query": request.query})


@signed_in("dashboard.figures.csv")
async def export(request: web.Request) -> web.Response:
    period = query(request, Period)
    figures = await request.app[SERVICES].figures.figures(session(request).principal, period)
    name = f"ccr-figures-{figures.first_day}-to-{figures.last_day}.csv"
    return web.Response(text=to_csv(figures), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
