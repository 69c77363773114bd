"""The FHIR benchmark still runs end to end (its own Valkey, a real `hub serve`, a bridge)
and prints its figures beside their baselines as JSON."""

import json

from bench.fhir import TARGETS, main

FIGURES = ["task_search_p95_ms", "search_first_page_p95_ms", "search_open_statuses_p95_ms",
           "baseline_search_p95_ms", "bridge_submit_p95_ms", "baseline_submit_p95_ms"]


def test_a_small_run_times_search_and_the_bridge_beside_their_baselines(capsys):
    main(["--referrals", "300", "--requests", "3", "--submits", "2"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert all(result[name] > 0 for name in FIGURES)
    assert result["targets"] == TARGETS
    assert result["met"] == {k: result[k] <= v for k, v in TARGETS.items()}
