"""The failover benchmark still runs end to end (a primary, a replica and a sentinel, real
`hub serve` and `hub worker` processes, an SMTP sink) and, across the primary's death,
loses no acknowledged referral and makes none twice."""

import json

from bench.failover import Load, longest_gap, main

FIGURES = ["acked", "lost", "duplicates", "unavailable_s", "failover_s", "escalation_gap_s",
           "hub_rps", "baseline_rps", "ratio_waitaof"]


def test_a_tiny_run_loses_nothing_across_a_failover_and_prints_its_figures(capsys):
    main(["--tiny", "--clients", "8"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(FIGURES) <= set(result)
    assert result["acked"] > 0 and (result["lost"], result["duplicates"]) == (0, 0)
    assert 0 < result["failover_s"] <= result["unavailable_s"] < 30
    assert 0 < result["escalation_gap_s"] < 60
    assert abs(result["ratio_waitaof"] - result["hub_rps"] / result["baseline_rps"]) < 0.002
    assert result["targets"] == {"lost": 0, "duplicates": 0, "unavailable_s": 10}


def test_answers_in_flight_at_the_kill_do_not_count_as_the_hub_being_back():
    load = Load()
    load.answered = [(9.0, 9.5), (9.9, 10.07),  # sent before the kill at 10, one answered after
                     (10.5, 14.0), (11.0, 14.2)]  # sent after it: answered once it was back
    assert longest_gap(load.answered_across(10.0), 10.0) == 14.0 - 9.5
