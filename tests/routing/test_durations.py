"""Durations as policy authors write them: every accepted spelling reads as the amount and
unit it says, ``str`` gives back text that reads the same, and anything else is refused
with a message that quotes the text and shows how to write it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.routing.durations import Duration

GOOD = {
    "30m": (30, "minutes"),
    "0m": (0, "minutes"),
    "45 min": (45, "minutes"),
    "10mins": (10, "minutes"),
    "1 minute": (1, "minutes"),
    "2h": (2, "hours"),
    "1 hour": (1, "hours"),
    "2 HOURS": (2, "hours"),
    "  3 hours  ": (3, "hours"),
    "1d": (1, "days"),
    "1 day": (1, "days"),
    "14 days": (14, "days"),
    "4 business hours": (4, "business_hours"),
    "1 business hour": (1, "business_hours"),
    "1 business day": (1, "business_days"),
    "2  Business   Days": (2, "business_days"),
}

UNREADABLE = ["", "   ", "abc", "30", "m", "-5m", "1.5h", "2 weeks", "30 s", "two hours",
              "2h30m", "business 2 days", "2 days business", "2 business", "+3h", "3 h ago"]


@pytest.mark.parametrize(("text", "expected"), GOOD.items(), ids=list(GOOD))
def test_a_good_duration_reads_as_written(text: str, expected: tuple[int, str]) -> None:
    duration = Duration.parse(text)
    assert (duration.amount, duration.unit) == expected


@pytest.mark.parametrize("text", UNREADABLE, ids=[repr(t) for t in UNREADABLE])
def test_an_unreadable_duration_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        Duration.parse(text)
    message = str(caught.value)
    assert f"cannot read duration {text!r}" in message
    assert "'2 business days'" in message


@pytest.mark.parametrize("text", ["30 business minutes", "1 business min", "5 business m"])
def test_business_time_in_minutes_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="business time counts hours or days") as caught:
        Duration.parse(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(("duration", "text"), [
    (Duration(amount=30, unit="minutes"), "30 minutes"),
    (Duration(amount=2, unit="business_days"), "2 business days"),
    (Duration(amount=4, unit="business_hours"), "4 business hours"),
], ids=["minutes", "business-days", "business-hours"])
def test_a_duration_prints_as_a_person_would_write_it(duration: Duration, text: str) -> None:
    assert str(duration) == text


@given(st.builds(Duration, amount=st.integers(0, 10**6),
                 unit=st.sampled_from(["minutes", "hours", "days", "business_hours",
                                       "business_days"])))
def test_printed_durations_read_back_the_same(duration: Duration) -> None:
    assert Duration.parse(str(duration)) == duration
