"""Cron schedules: a CronJob's ``spec.schedule`` parsed and searched, pure (no store, no clock).

Parsing follows robfig/cron's standard parser as the CronJob controller uses it (five fields,
names, ranges and steps, the ``@hourly``-style macros and ``@every``); times are simulated seconds
converted through the CronJob's ``timeZone``.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from kratix_lab.kube.times import EPOCH, rfc3339

_MONTHS = {
    m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))
}
_WEEKDAYS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 6, _WEEKDAYS),
)
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SEARCH_YEARS = 5


def _cron_int(text: str, names: Mapping[str, int], expr: str) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise ValueError(f"failed to parse int from {text}: {expr}")
    return int(text)


def _cron_field(expr: str, lo: int, hi: int, names: Mapping[str, int]) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in expr.split(","):
        range_step = part.split("/")
        if len(range_step) > 2:
            raise ValueError(f"too many slashes: {part}")
        bounds = range_step[0].split("-")
        if len(bounds) > 2:
            raise ValueError(f"too many hyphens: {part}")
        part_star = bounds[0] in ("*", "?")
        if part_star:
            start, end = lo, hi
        else:
            start = _cron_int(bounds[0], names, part)
            end = _cron_int(bounds[1], names, part) if len(bounds) == 2 else start
        step = 1
        if len(range_step) == 2:
            step = _cron_int(range_step[1], {}, part)
            if step <= 0:
                raise ValueError(f"step of range should be a positive number: {part}")
            if len(bounds) == 1 and not part_star:
                end = hi  # "N/step" means "N-max/step"
        if start < lo:
            raise ValueError(f"beginning of range ({start}) below minimum ({lo}): {part}")
        if end > hi:
            raise ValueError(f"end of range ({end}) above maximum ({hi}): {part}")
        if start > end:
            raise ValueError(f"beginning of range ({start}) beyond end of range ({end}): {part}")
        values.update(range(start, end + 1, step))
        star = star or (part_star and step == 1)
    return frozenset(values), star


def _every_seconds(text: str) -> int:
    """A Go duration (``1h30m``, ``90s``) as whole seconds, at least 1 (cron ``@every``)."""
    total, pos = 0.0, 0
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise ValueError(f"failed to parse duration @every {text}: time: invalid duration {json.dumps(text)}")
    return max(1, int(total))


@dataclass(frozen=True)
class CronSchedule:
    """A parsed standard cron schedule (robfig/cron semantics, as the CronJob controller uses)."""

    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    day_star: bool = False
    weekday_star: bool = False
    every: int | None = None  # "@every <duration>": fires every this many seconds from the anchor

    @classmethod
    def parse(cls, text: str) -> CronSchedule:
        """Five fields (``*``, ``*/n``, ``a-b``, ``a-b/n``, ``a,b``, numbers, month/day names) or a
        ``@`` macro. Raises ValueError with robfig/cron's message."""
        spec = text.strip()
        if not spec:
            raise ValueError("empty spec string")
        if spec.startswith(("TZ=", "CRON_TZ=")):
            raise ValueError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        if spec.startswith("@every "):
            return cls(every=_every_seconds(spec[len("@every ") :].strip()))
        if spec.startswith("@"):
            if spec not in _MACROS:
                raise ValueError(f"unrecognized descriptor: {spec}")
            spec = _MACROS[spec]
        fields = spec.split()
        if len(fields) != 5:
            raise ValueError(f"expected exactly 5 fields, found {len(fields)}: {spec}")
        parsed = [_cron_field(f, lo, hi, names) for f, (_, lo, hi, names) in zip(fields, _CRON_FIELDS, strict=True)]
        return cls(
            minutes=parsed[0][0],
            hours=parsed[1][0],
            days=parsed[2][0],
            months=parsed[3][0],
            weekdays=parsed[4][0],
            day_star=parsed[2][1],
            weekday_star=parsed[4][1],
        )

    def _day_matches(self, d: datetime) -> bool:
        dom = d.day in self.days
        dow = (d.isoweekday() % 7) in self.weekdays
        if self.day_star or self.weekday_star:
            return dom and dow
        return dom or dow

    def next_after(self, t: int, tz: tzinfo, anchor: int) -> int | None:
        """The first firing strictly after simulated second ``t`` (``anchor``: where @every counts from)."""
        if self.every is not None:
            return anchor + ((max(t, anchor) - anchor) // self.every + 1) * self.every
        c = _local(t, tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
        end = c.year + _SEARCH_YEARS
        while c.year <= end:
            if c.month not in self.months:
                c = datetime(c.year + (c.month == 12), c.month % 12 + 1, 1)
            elif not self._day_matches(c):
                c = (c + timedelta(days=1)).replace(hour=0, minute=0)
            elif c.hour not in self.hours:
                c = (c + timedelta(hours=1)).replace(minute=0)
            elif c.minute not in self.minutes:
                c += timedelta(minutes=1)
            else:
                s = _simulated(c, tz)
                if s > t:
                    return s
                c += timedelta(minutes=1)
        return None

    def latest(self, now: int, after: int, tz: tzinfo) -> int | None:
        """The most recent firing in ``(after, now]`` (the one a late controller starts), else None."""
        if self.every is not None:
            k = (now - after) // self.every
            return after + k * self.every if k >= 1 else None
        c = _local(now, tz).replace(second=0, microsecond=0)
        floor = _local(after, tz)
        while c > floor:
            if c.month not in self.months:
                c = datetime(c.year, c.month, 1) - timedelta(minutes=1)
            elif not self._day_matches(c):
                c = c.replace(hour=0, minute=0) - timedelta(minutes=1)
            elif c.hour not in self.hours:
                c = c.replace(minute=0) - timedelta(minutes=1)
            elif c.minute not in self.minutes:
                c -= timedelta(minutes=1)
            else:
                s = _simulated(c, tz)
                if after < s <= now:
                    return s
                c -= timedelta(minutes=1)
        return None


def _local(t: int, tz: tzinfo) -> datetime:
    return (EPOCH + timedelta(seconds=t)).astimezone(tz).replace(tzinfo=None)


def _simulated(local: datetime, tz: tzinfo) -> int:
    return int((local.replace(tzinfo=tz) - EPOCH).total_seconds())


def _time_zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    return zoneinfo.ZoneInfo(name)


def _rfc3339_in(t: int, tz: tzinfo) -> str:
    local = (EPOCH + timedelta(seconds=t)).astimezone(tz)
    if local.utcoffset() == timedelta(0):
        return rfc3339(t)
    return local.isoformat()
