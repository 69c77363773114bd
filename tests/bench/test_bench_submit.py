"""The submit benchmark still runs end to end (a hub, a forked hub and the baseline on a
durable embedded Valkey, measured in alternating rounds, then each at a fixed pace) and
reports every figure."""

import json

from bench.submit import main, summary


def test_tiny_run_reports_each_server_beside_the_baseline(capsys):
    main(["--tiny", "--driver", "python", "--clients", "8", "--forked", "2", "--rate", "40"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for name in ("hub_rps", "baseline_rps", "forked_rps", "p50_ms", "p99_ms",
                 "forked_p99_ms", "baseline_p99_ms", "paced_p99_ms", "baseline_paced_p99_ms",
                 "forked_paced_p99_ms"):
        assert result[name] > 0, name
    for prefix in ("paced", "baseline_paced", "forked_paced"):  # each kept up with the pace
        assert 30 <= result[f"{prefix}_rps"] <= 41, prefix
    assert result["ratio"] == round(result["hub_rps"] / result["baseline_rps"], 3)
    assert len(result["round_ratios"]) == len(result["forked_round_ratios"]) == 1
    assert result["hub_processes"] == 1 and result["forked_processes"] == 2
    assert result["audit_sealed"] > 0  # the sealer ran beside the hub


def test_rounds_are_summed_up_as_mean_rate_and_median_latencies():
    hub = [(1000.0, 10.0, 50.0), (3000.0, 30.0, 90.0), (2000.0, 20.0, 70.0)]
    base = [(4000.0, 5.0, 20.0)] * 3
    assert summary(hub, base) == {"rps": 2000.0, "ratio": 0.5, "p50_ms": 20.0,
                                  "p99_ms": 70.0, "round_ratios": [0.25, 0.75, 0.5]}
