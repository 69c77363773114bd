"""The benchmark report's table, built from canned script outputs (the benchmarks
themselves are not run here): each figure beside its same-run baseline and its target, a
missed target marked, a failed bench's targets reported missing, and every bench/ script
found."""

import json

from bench.report import TARGETS, Row, build_rows, discover, render_markdown, write

CRYPTO = {"seal_ms": 0.208, "open_ms": 0.138, "seal_ms_12": 0.703, "open_ms_12": 0.141,
          "baseline_seal_ms": 0.186, "baseline_open_ms": 0.097, "baseline_seal_ms_12": 0.622,
          "baseline_open_ms_12": 0.098, "attachment_mb_s": 498.0,
          "baseline_attachment_mb_s": 538.0, "targets": {"seal_ms": 0.25}, "met": {},
          "quick": True}
SUBMIT = {"hub_rps": 1041.0, "baseline_rps": 2418.0, "ratio": 0.43, "p50_ms": 40.1,
          "p99_ms": 91.0, "baseline_p50_ms": 20.0, "baseline_p99_ms": 31.0, "requests": 9000,
          "clients": 64, "audit_sealer": True, "audit_sealed": 5000,
          "targets": {"ratio": 0.5, "p99_ms": 30},
          "durability": "appendonly yes, appendfsync always", "quick": True}
ESCALATION = {"open": 5000, "due": 200, "fired": 200, "missing": 0, "duplicates": 0,
              "p50_ms": 120.0, "p99_ms": 480.5, "max_ms": 2500.0, "committed_p50_ms": 50.0,
              "baseline_timer_only_p50_ms": 2.0, "baseline_timer_only_p99_ms": 4.1,
              "workers": 2, "seconds": 8.0, "quick": True}
DASHBOARD = {"open": 20000, "closed": 2000, "owed_past": 1102, "queue_ms_p50": 39.7,
             "queue_ms_p95": 84.4, "figures_ms_p95": 365.7, "baseline_ms_p50": 17.3,
             "baseline_ms_p95": 48.4, "requests": 50, "quick": True}


def by_figure(rows: list[Row]) -> dict[tuple[str, str], Row]:
    return {(r.bench, r.figure): r for r in rows}


def test_each_figure_has_its_same_run_baseline_and_target() -> None:
    rows = by_figure(build_rows({"crypto": CRYPTO, "submit": SUBMIT,
                                 "escalation": ESCALATION}))
    seal = rows["crypto", "seal_ms"]
    assert (seal.value, seal.baseline, seal.target, seal.met) == (0.208, 0.186, "<= 0.25", True)
    assert rows["crypto", "seal_ms_12"].baseline == 0.622  # not seal_ms's baseline
    assert rows["crypto", "seal_ms_12"].met is None  # no target
    assert rows["submit", "hub_rps"].baseline == 2418.0
    assert rows["submit", "p99_ms"].baseline == 31.0
    assert rows["escalation", "p99_ms"].baseline == 4.1  # the timer-only prototype
    assert rows["escalation", "max_ms"].baseline is None
    pages = by_figure(build_rows({"dashboard": DASHBOARD}))
    assert pages["dashboard", "queue_ms_p95"].baseline == 48.4  # the minimal handler's
    assert pages["dashboard", "figures_ms_p95"].baseline == 48.4
    assert pages["dashboard", "queue_ms_p50"].baseline == 17.3
    assert pages["dashboard", "figures_ms_p95"].met is False  # 365.7 > 300


def test_targets_are_compared_in_their_direction() -> None:
    rows = by_figure(build_rows({"crypto": CRYPTO, "submit": SUBMIT,
                                 "escalation": ESCALATION}))
    assert rows["crypto", "attachment_mb_s"].met is True  # 498 >= 300
    assert rows["submit", "ratio"].met is False  # 0.43 < 0.5
    assert rows["submit", "p99_ms"].met is False  # 91 > 30
    assert rows["escalation", "missing"].met is True  # 0 <= 0
    assert rows["escalation", "p99_ms"].met is True
    assert rows["escalation", "max_ms"].met is False


def test_run_parameters_and_baselines_are_not_rows_of_their_own() -> None:
    figures = {r.figure for r in build_rows({"submit": SUBMIT, "escalation": ESCALATION,
                                             "dashboard": DASHBOARD})}
    assert not figures & {"quick", "clients", "requests", "open", "due", "workers", "seconds",
                          "audit_sealer", "durability", "targets", "closed", "owed_past"}
    assert not any(f.startswith("baseline_") for f in figures)
    assert {"fired", "committed_p50_ms", "audit_sealed"} <= figures


def test_a_failed_or_silent_bench_has_its_targets_missing_not_met() -> None:
    rows = by_figure(build_rows({"dashboard": {}, "crypto": {"seal_ms": 0.2}}))
    assert {f for b, f in rows if b == "dashboard"} == set(TARGETS["dashboard"])
    for figure in TARGETS["dashboard"]:
        assert rows["dashboard", figure].value is None
        assert rows["dashboard", figure].met is False
    assert rows["crypto", "open_ms"].met is False


def test_the_markdown_table_has_one_line_per_figure() -> None:
    rows = build_rows({"crypto": CRYPTO, "dashboard": {}})
    runs = {"crypto": {"command": "python -m bench.crypto --quick", "seconds": 30.2,
                       "output": CRYPTO},
            "dashboard": {"command": "python -m bench.dashboard --quick", "seconds": 1,
                          "error": "exit 1, no JSON object on its last line"}}
    text = render_markdown(rows, runs, "Benchmarks")
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| bench | figure | value | baseline | target | met? |"
    assert len(table) == 1 + len(rows)
    assert "| crypto | `seal_ms` | 0.208 | 0.186 | <= 0.25 | yes |" in table
    assert "| crypto | `attachment_mb_s` | 498 | 538 | >= 300 | yes |" in table
    assert "| dashboard | `queue_ms_p95` | — | — | <= 100 | **missing** |" in table
    assert "- **dashboard** failed: exit 1, no JSON object on its last line" in text


def test_a_baseline_not_named_after_its_figure_is_named_in_the_table() -> None:
    rows = build_rows({"escalation": ESCALATION})
    text = render_markdown(rows, {}, "Benchmarks")
    assert "| escalation | `p99_ms` | 480.5 | 4.1 (`baseline_timer_only_p99_ms`) | <= 500 | " \
        "yes |" in text


def test_write_puts_every_row_in_results_json(tmp_path) -> None:
    runs = {"submit": {"command": "python -m bench.submit --quick", "seconds": 40.0,
                       "output": SUBMIT}}
    rows = write(runs, quick=True, directory=tmp_path)
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["quick"] is True and len(doc["rows"]) == len(rows)
    assert doc["runs"]["submit"]["output"] == SUBMIT
    assert {"bench", "figure", "value", "baseline", "target", "met"} <= set(doc["rows"][0])
    assert "| submit | `ratio` | 0.43 | — | >= 0.5 | **no** |" in \
        (tmp_path / "results.md").read_text()


def test_every_bench_script_is_found_and_helpers_are_not() -> None:
    found = discover()
    assert {"crypto", "submit", "escalation"} <= set(found)
    assert not {"baseline_server", "__init__", "report"} & set(found)


def test_the_failover_targets_are_checked() -> None:
    failover = {"acked": 2630, "lost": 0, "duplicates": 0, "unavailable_s": 12.5,
                "failover_s": 2.0, "escalation_gap_s": 3.4, "hub_rps": 1600.0,
                "baseline_rps": 1900.0, "ratio_waitaof": 0.84, "load_seconds": 9.0,
                "replicas": 1, "quick": True}
    rows = by_figure(build_rows({"failover": failover}))
    assert rows["failover", "lost"].met and rows["failover", "duplicates"].met
    assert rows["failover", "unavailable_s"].met is False  # 12.5 > 10
    assert rows["failover", "hub_rps"].baseline == 1900.0
    assert ("failover", "load_seconds") not in rows  # how it was run, not what it measured
