"""Prometheus figures for /metrics. Labels hold routes, codes, statuses and agency ids:
never anything identifying."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        self.transitions = Counter("hub_transitions", "Referral status changes by new status",
                                   ["status"], registry=self.registry)
        self.inbox_depth = Gauge("hub_inbox_depth", "Referrals in each agency's inbox",
                                 ["agency"], registry=self.registry)
