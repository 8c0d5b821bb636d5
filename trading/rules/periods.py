"""Measuring a legal period (a `Rule` in days or working days) between two moments.

Two clocks:
- the legal clock counts calendar or working days in the center's zone (see calendar.py);
- the sandbox clock divides the required period by `sandbox_factor` and measures exact
  durations (Prozorro's accelerator: 20 days / 1440 = 20 minutes). A working day counts
  as a whole day there: an accelerated demo has no weekends.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trading.rules.base import Rule
from trading.rules.calendar import (
    add_calendar_days,
    add_working_days,
    calendar_days_between,
    is_working_day,
    local_date,
    local_datetime,
    working_days_between,
)

__all__ = ["PeriodClock", "format_duration"]

_UNIT_LABELS = {"days": ("日", "days"), "working_days": ("个工作日", "working days")}


def format_duration(span: timedelta) -> tuple[str, str]:
    """A short (zh, en) rendering of a sandbox duration, e.g. ("20分钟", "20 min")."""
    total = int(span.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    parts = [
        (total // 86400, "天", "d"),
        (total % 86400 // 3600, "小时", "h"),
        (total % 3600 // 60, "分钟", "min"),
        (total % 60, "秒", "s"),
    ]
    shown = [(n, zh, en) for n, zh, en in parts if n] or [(0, "秒", "s")]
    return (
        sign + "".join(f"{n}{zh}" for n, zh, _ in shown),
        sign + " ".join(f"{n} {en}" for n, _, en in shown),
    )


@dataclass(frozen=True, slots=True)
class PeriodClock:
    tz: ZoneInfo
    sandbox_factor: int | None = None  # None: the legal clock
    holidays: Collection[date] = field(default=frozenset())
    workdays: Collection[date] = field(default=frozenset())

    def __post_init__(self) -> None:
        if self.sandbox_factor is not None and self.sandbox_factor < 1:
            raise ValueError(f"sandbox_factor must be ≥ 1, got {self.sandbox_factor}")

    @property
    def sandbox(self) -> bool:
        return self.sandbox_factor is not None

    def _periodic(self, rule: Rule) -> None:
        if rule.unit not in _UNIT_LABELS:
            raise ValueError(f"rule {rule.id!r} is not a period (unit {rule.unit!r})")

    def required(self, rule: Rule) -> timedelta:
        """The sandbox duration of a period rule."""
        self._periodic(rule)
        assert self.sandbox_factor is not None
        return timedelta(days=int(rule.value)) / self.sandbox_factor

    def count(self, start: datetime, end: datetime, rule: Rule) -> int:
        """Whole days or working days (per the rule's unit) on the legal clock."""
        self._periodic(rule)
        if rule.unit == "working_days":
            return working_days_between(start, end, self.tz, self.holidays, self.workdays)
        return calendar_days_between(start, end, self.tz)

    def satisfied(self, start: datetime, end: datetime, rule: Rule) -> bool:
        if self.sandbox:
            return end - start >= self.required(rule)
        return self.count(start, end, rule) >= int(rule.value)

    def describe(self, start: datetime, end: datetime, rule: Rule) -> tuple[str, str, str, str]:
        """(required zh, actual zh, required en, actual en) for a message."""
        if self.sandbox:
            req_zh, req_en = format_duration(self.required(rule))
            act_zh, act_en = format_duration(end - start)
            return req_zh, act_zh, req_en, act_en
        zh, en = _UNIT_LABELS[rule.unit]
        actual = self.count(start, end, rule)
        return f"{rule.value}{zh}", f"{actual}{zh}", f"{rule.value} {en}", f"{actual} {en}"

    def earliest_end(self, start: datetime, rule: Rule, at: time) -> datetime:
        """The earliest end that satisfies `rule` from `start` (legal clock: on the first
        qualifying date, at local wall time `at`; sandbox: the exact duration)."""
        if self.sandbox:
            return start + self.required(rule)
        n = int(rule.value)
        if rule.unit == "working_days":
            day = add_working_days(start, n, self.tz, self.holidays, self.workdays)
        else:
            day = add_calendar_days(start, n, self.tz)
        return local_datetime(day, at, self.tz)

    def cutoff_before(self, end: datetime, rule: Rule) -> datetime:
        """The moment from which a start no longer satisfies `rule` before `end`
        (exclusive: a start strictly earlier than the result is in time)."""
        if self.sandbox:
            return end - self.required(rule)
        n = int(rule.value)
        day = local_date(end, self.tz)
        if rule.unit == "working_days":
            # Walk back over n working days ending on `end`'s date; the start must lie
            # before the earliest of them.
            while n:
                if is_working_day(day, self.holidays, self.workdays):
                    n -= 1
                day -= timedelta(days=1)
            last_ok = day
        else:
            last_ok = day - timedelta(days=n)
        return local_datetime(last_ok + timedelta(days=1), time(0), self.tz)
