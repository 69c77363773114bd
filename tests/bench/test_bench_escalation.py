"""The escalation benchmark still runs end to end (its own durable Valkey, real `hub worker`
subprocesses and an SMTP sink) and every rung that fell due reached the sink exactly once."""

import json

from bench.escalation import main

FIGURES = ["open", "due", "fired", "missing", "duplicates", "p50_ms", "p99_ms", "max_ms"]


def test_a_small_run_delivers_every_rung_once_and_prints_its_figures(capsys):
    main(["--open", "300", "--due", "12", "--seconds", "2"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(FIGURES) <= set(result)
    assert (result["open"], result["due"], result["fired"]) == (300, 12, 12)
    assert (result["missing"], result["duplicates"]) == (0, 0)
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
