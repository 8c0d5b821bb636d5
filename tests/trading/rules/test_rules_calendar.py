"""Calendar-day and working-day counting in the center's zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trading.rules.calendar import (
    add_calendar_days,
    add_working_days,
    calendar_days_between,
    is_working_day,
    local_date,
    working_days_between,
)

SH = ZoneInfo("Asia/Shanghai")
FRI = date(2026, 3, 6)
SAT, SUN, MON, TUE = (FRI + timedelta(days=i) for i in range(1, 5))


def test_test_dates_fall_on_the_expected_weekdays() -> None:
    assert [d.strftime("%a") for d in (FRI, SAT, SUN, MON)] == ["Fri", "Sat", "Sun", "Mon"]


def test_local_date_uses_the_center_zone() -> None:
    # 17:00 UTC on 5 March is 01:00 on 6 March in Shanghai.
    moment = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
    assert local_date(moment, SH) == FRI
    assert local_date(moment, ZoneInfo("UTC")) == FRI - timedelta(days=1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 3, 5, 12), SH)


def test_calendar_days_count_from_the_day_after_the_start() -> None:
    issued = datetime(2026, 3, 1, 23, 0, tzinfo=SH)
    assert calendar_days_between(issued, datetime(2026, 3, 21, 0, 30, tzinfo=SH), SH) == 20
    assert calendar_days_between(issued, datetime(2026, 3, 20, 23, 59, tzinfo=SH), SH) == 19
    assert calendar_days_between(datetime(2026, 3, 21, tzinfo=SH), issued, SH) == -20


def test_working_days_skip_the_weekend() -> None:
    assert working_days_between(FRI, MON, SH) == 1
    assert working_days_between(FRI, SUN, SH) == 0
    assert working_days_between(MON, MON + timedelta(days=4), SH) == 4
    assert working_days_between(FRI, FRI + timedelta(days=7), SH) == 5
    assert working_days_between(FRI + timedelta(days=7), FRI, SH) == -5


def test_holidays_and_adjusted_workdays() -> None:
    assert not is_working_day(MON, holidays={MON})
    assert is_working_day(SAT, workdays={SAT})
    assert working_days_between(FRI, TUE, SH, holidays={MON}) == 1
    assert working_days_between(FRI, TUE, SH, workdays={SAT}) == 3


def test_add_working_days_lands_after_the_weekend() -> None:
    assert add_working_days(FRI, 1, SH) == MON
    assert add_working_days(FRI, 0, SH) == FRI
    assert add_working_days(FRI, 1, SH, holidays={MON}) == TUE
    assert add_working_days(FRI, 1, SH, workdays={SAT}) == SAT
    # A datetime late in the UTC day belongs to the next Shanghai date.
    assert add_working_days(datetime(2026, 3, 5, 17, tzinfo=UTC), 1, SH) == MON


def test_add_working_days_refuses_negative_n() -> None:
    with pytest.raises(ValueError, match="≥ 0"):
        add_working_days(FRI, -1, SH)


def test_add_calendar_days() -> None:
    assert add_calendar_days(datetime(2026, 3, 1, 2, tzinfo=UTC), 20, SH) == date(2026, 3, 21)


@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=1, max_value=40),
    holidays=st.frozensets(st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 3, 31))),
)
def test_add_working_days_is_the_earliest_date_reaching_n(
    start: date, n: int, holidays: frozenset[date]
) -> None:
    end = add_working_days(start, n, SH, holidays=holidays)
    assert working_days_between(start, end, SH, holidays=holidays) == n
    assert working_days_between(start, end - timedelta(days=1), SH, holidays=holidays) == n - 1
    assert is_working_day(end, holidays)
