"""Prometheus figures for /metrics. Labels hold routes, codes, statuses and agency ids:
never anything identifying."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from hub.store.engine import LATENESS_BUCKETS

if TYPE_CHECKING:
    from hub.services.engine import EngineHealth


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("hub_requests", "HTTP requests by route and status code",
                                ["route", "code"], registry=self.registry)
        self.latency = Histogram("hub_request_seconds", "HTTP request time by route",
                                 ["route"], registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1))
        self.submissions = Counter("hub_submissions", "Referral submissions by outcome",
                                   ["outcome"], registry=self.registry)
        self.inbox_depth = Gauge("hub_inbox_depth", "Referrals in each agency's inbox",
                                 ["agency"], registry=self.registry)
        self.engine_running = Gauge("hub_engine_running", "1 while escalation runs (the "
                                    "ticker and a worker completed a cycle within "
                                    "HUB_ENGINE_STALE), else 0", registry=self.registry)
        self.ticker_age = Gauge("hub_engine_ticker_age_seconds", "Seconds since a ticker "
                                "last completed a cycle (NaN: never)", registry=self.registry)
        self.sealer_age = Gauge("hub_engine_sealer_age_seconds", "Seconds since the audit "
                                "sealer last completed a cycle (NaN: never)",
                                registry=self.registry)
        self.sealer_backlog = Gauge("hub_engine_sealer_backlog", "Audit events waiting to be "
                                    "sealed", registry=self.registry)
        self.workers = Gauge("hub_engine_workers", "Workers that completed a cycle within "
                             "HUB_ENGINE_STALE", registry=self.registry)
        self.lateness = RungLateness()
        self.registry.register(self.lateness)

    def engine(self, health: EngineHealth) -> None:
        """Set the engine's figures (read from Redis at each scrape)."""
        self.engine_running.set(1 if health.running else 0)
        self.ticker_age.set(_or_nan(health.ticker_age_s))
        self.sealer_age.set(_or_nan(health.sealer_age_s))
        self.sealer_backlog.set(health.sealer_backlog)
        self.workers.set(health.workers)
        self.lateness.set(health.lateness.buckets, health.lateness.count,
                          health.lateness.total)


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


class RungLateness(Collector):
    """A histogram the engine keeps in Redis (every worker adds to it): how late each rung
    fired after it fell due. Served as Prometheus histogram buckets."""

    def __init__(self) -> None:
        self._buckets: list[tuple[str, float]] = [("+Inf", 0.0)]
        self._sum = 0.0

    def set(self, counts: dict[str, int], count: int, total: float) -> None:
        running, buckets = 0, []
        for bound in LATENESS_BUCKETS:
            running += counts.get(f"le:{bound:g}", 0)
            buckets.append((f"{bound:g}", float(running)))
        self._buckets = [*buckets, ("+Inf", float(count))]
        self._sum = total

    def collect(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily("hub_rung_lateness_seconds", "How late escalation rungs "
                                    "fired after they fell due", buckets=self._buckets,
                                    sum_value=self._sum)
