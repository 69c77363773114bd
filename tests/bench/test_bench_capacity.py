"""The capacity benchmark still runs end to end: referrals submitted through the service
with their first rungs fired, some closed and purged after retention, Redis's memory per
referral and what fits in 1, 4 and 16 GB."""

import json

from bench.capacity import main


def test_a_small_run_measures_open_and_closed_referrals(capsys):
    main(["--open", "300", "--closed", "40"])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["open"], result["closed"], result["extrapolated_to"]) == (300, 40, 100_000)
    assert 4000 < result["envelope_bytes"] < 5000  # about 4 KB sealed
    assert result["bytes_per_open"] > result["envelope_bytes"]
    assert 0 < result["bytes_per_closed"] < result["bytes_per_open"] + 10_000
    assert result["fits_1_gb"] * 4 == result["fits_4_gb"] or \
        abs(result["fits_1_gb"] * 4 - result["fits_4_gb"]) <= 4
    assert result["fits_16_gb"] > result["fits_4_gb"] > result["fits_1_gb"] > 0
