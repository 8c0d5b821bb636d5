"""Calendar-day and working-day arithmetic in a trading center's time zone.

Counting convention (民法典 第201条; 法 24 practice "自招标文件开始发出之日起至投标人
提交投标文件截止之日止，最短不得少于二十日"): a period counts whole days from the day
after the start date up to and including the end date, both dates taken in the center's
zone. Documents issued on 1 March with a deadline on 21 March give 20 days, so they
pass a 20-day minimum; a deadline on 20 March gives 19 and fails. The time of day does
not matter. Working days are counted the same way, counting only working days.

Working days are Monday to Friday, minus `holidays`, plus `workdays` (调休: weekend days
declared working days). The official holiday calendar changes yearly and is passed in
by the caller, never hard-coded here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "add_calendar_days",
    "add_working_days",
    "calendar_days_between",
    "is_working_day",
    "local_date",
    "local_datetime",
    "working_days_between",
]

_NO_DATES: frozenset[date] = frozenset()


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: times must be timezone-aware")


def local_date(moment: datetime | date, tz: ZoneInfo) -> date:
    """The calendar date of `moment` in the center's zone (a plain date passes through)."""
    if isinstance(moment, datetime):
        _require_aware(moment)
        return moment.astimezone(tz).date()
    return moment


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at wall-clock time `at` in `tz`, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(ZoneInfo("UTC"))


def is_working_day(
    day: date,
    holidays: Collection[date] = _NO_DATES,
    workdays: Collection[date] = _NO_DATES,
) -> bool:
    if day in workdays:  # 调休 beats the weekend
        return True
    return day.weekday() < 5 and day not in holidays


def calendar_days_between(a: datetime | date, b: datetime | date, tz: ZoneInfo) -> int:
    """Days counted from the day after `a` through `b` (negative when `b` is earlier)."""
    return (local_date(b, tz) - local_date(a, tz)).days


def working_days_between(
    a: datetime | date,
    b: datetime | date,
    tz: ZoneInfo,
    holidays: Collection[date] = _NO_DATES,
    workdays: Collection[date] = _NO_DATES,
) -> int:
    """Working days d with date(a) < d ≤ date(b); negated when `b` is before `a`."""
    start, end = local_date(a, tz), local_date(b, tz)
    if end < start:
        return -working_days_between(end, start, tz, holidays, workdays)
    # Periods are weeks long at most, so walking day by day is simple and fast enough.
    return sum(
        is_working_day(start + timedelta(days=i), holidays, workdays)
        for i in range(1, (end - start).days + 1)
    )


def add_calendar_days(start: datetime | date, n: int, tz: ZoneInfo) -> date:
    """The local date on which an n-day period that starts at `start` is complete."""
    return local_date(start, tz) + timedelta(days=n)


def add_working_days(
    start: datetime | date,
    n: int,
    tz: ZoneInfo,
    holidays: Collection[date] = _NO_DATES,
    workdays: Collection[date] = _NO_DATES,
) -> date:
    """The local date of the n-th working day after `start`'s date (n ≥ 0).

    So `working_days_between(start, result) == n`, and no earlier date reaches n.
    With n == 0 the start date itself is returned.
    """
    if n < 0:
        raise ValueError(f"n must be ≥ 0, got {n}")
    day = local_date(start, tz)
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            remaining -= 1
    return day
