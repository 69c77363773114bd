"""The crypto benchmark still runs end to end and reports every figure (bench/crypto.py)."""

import json

from bench.crypto import TARGETS, main

FIGURES = [
    "seal_ms", "open_ms", "seal_ms_12", "open_ms_12", "attachment_mb_s",
    "baseline_seal_ms", "baseline_open_ms", "baseline_seal_ms_12", "baseline_open_ms_12",
    "baseline_attachment_mb_s", "grant_1000_s", "baseline_grant_1000_s", "grant_vs_baseline",
]


def test_quick_tiny_run_prints_every_figure_as_json(capsys):
    assert main(["--quick", "--tiny"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {*FIGURES, "targets", "met", "quick"}
    for name in FIGURES:
        value = result[name]
        assert isinstance(value, float) and value > 0, (name, value)
        assert round(value, 3) == value
    assert result["targets"] == TARGETS
    assert set(result["met"]) == set(TARGETS)
    assert all(isinstance(ok, bool) for ok in result["met"].values())
    assert result["met"]["seal_ms"] == (result["seal_ms"] <= TARGETS["seal_ms"])
    assert result["met"]["attachment_mb_s"] == (
        result["attachment_mb_s"] >= TARGETS["attachment_mb_s"])
    assert result["quick"] is True
    assert result["met"]["grant_1000_s"] == (result["grant_1000_s"] <= 2.0)
