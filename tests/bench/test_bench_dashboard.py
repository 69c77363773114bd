"""The dashboard benchmark still runs end to end (its own Valkey, a real `hub serve`, the
baseline server, the coordinator signed in) and prints its figures as JSON."""

import json

from bench.dashboard import TARGETS, main

FIGURES = ["queue_ms_p50", "queue_ms_p95", "figures_ms_p50", "figures_ms_p95",
           "baseline_ms_p50", "baseline_ms_p95", "scan_ms_p50", "scan_ms_p95", "queue_wall_ms_p95",
           "figures_wall_ms_p95"]


def test_a_small_run_times_both_pages_and_the_baseline(capsys):
    main(["--open", "300", "--requests", "3"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(FIGURES) <= set(result)
    assert (result["open"], result["closed"], result["requests"]) == (300, 30, 3)
    assert result["owed_past"] > 0 and result["owed_24h"] > 0 and result["owed_later"] > 0
    for name in FIGURES:
        assert result[name] > 0, name
    assert result["queue_ms_p50"] <= result["queue_ms_p95"]
    assert result["targets"] == TARGETS
    assert result["met"] == {k: result[k] <= v for k, v in TARGETS.items()}
