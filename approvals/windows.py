"""Change windows: when a policy lets its completed operations run.

A policy may name weekly windows in one time zone, e.g. "Mon-Fri 08:00-18:00" in Europe/Rome.
A Complete inside a window runs now; outside, it is scheduled for the next opening. The
recurrence is dateutil's rrule and the zones the standard library's zoneinfo, so daylight
saving time moves the openings with the wall clock, as people expect.

The state (a policy's and a request payload's):
    {"timezone": "Europe/Rome", "windows": [{"days": [0, 1, 2, 3, 4], "start": "08:00",
     "end": "18:00"}]}
"""

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import WEEKLY, rrule

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_LINE = re.compile(
    r"^\s*(?P<days>[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?(?:\s*,\s*[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?)*)"
    r"\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


class WindowError(ValueError):
    """A window that cannot be used, with a message for people."""


@dataclass(frozen=True)
class Window:
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time

    def __str__(self) -> str:
        return f"{_days_text(self.days)} {_hhmm(self.start)}-{_hhmm(self.end)}"

    def state(self) -> dict:
        return {"days": list(self.days), "start": _hhmm(self.start), "end": _hhmm(self.end)}


def _hhmm(moment: time) -> str:
    return "24:00" if moment == time.max else f"{moment:%H:%M}"


def _from_hhmm(text: str) -> time:
    return time.max if text == "24:00" else time.fromisoformat(text)


def _days_text(days) -> str:
    days = sorted(days)
    runs, first = [], None
    for i, day in enumerate(days):
        first = day if first is None else first
        if i + 1 == len(days) or days[i + 1] != day + 1:
            runs.append(DAYS[first] if first == day else f"{DAYS[first]}-{DAYS[day]}")
            first = None
    return ",".join(runs)


def _day(name: str, line: str) -> int:
    try:
        return [d.lower() for d in DAYS].index(name.strip().lower())
    except ValueError:
        raise WindowError(f"“{line}”: {name} is not a day (use Mon, Tue, ... Sun).") from None


def _time(text: str, line: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max  # the end of the day
    if hours > 23 or minutes > 59:
        raise WindowError(f"“{line}”: {text} is not a time of day.")
    return time(hours, minutes)


def parse_line(line: str) -> Window:
    match = _LINE.match(line)
    if not match:
        raise WindowError(
            f"“{line.strip()}” is not a window: write days and hours, e.g. Mon-Fri 08:00-18:00."
        )
    days = set()
    for part in match["days"].split(","):
        ends = [_day(name, line.strip()) for name in part.split("-")]
        if len(ends) == 2 and ends[1] < ends[0]:
            raise WindowError(
                f"“{line.strip()}”: {part.strip()} runs backwards; write it in order."
            )
        days.update(range(ends[0], ends[-1] + 1))
    start, end = _time(match["start"], line.strip()), _time(match["end"], line.strip())
    if end <= start:
        raise WindowError(
            f"“{line.strip()}” ends before it starts. A window past midnight is two windows: "
            "e.g. Fri 22:00-24:00 and Sat 00:00-02:00."
        )
    return Window(tuple(sorted(days)), start, end)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(f"{name} is not a time zone (e.g. Europe/Rome, UTC).") from None


def parse(text: str, timezone_name: str) -> dict:
    """The state of the windows typed one per line; {} for none. Refuses overlaps."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return {}
    zone(timezone_name)
    windows = [parse_line(line) for line in lines]
    check(windows)
    return {"timezone": timezone_name, "windows": [w.state() for w in windows]}


def check(windows: list[Window]) -> None:
    for i, one in enumerate(windows):
        for other in windows[i + 1 :]:
            shared = set(one.days) & set(other.days)
            if shared and one.start < other.end and other.start < one.end:
                raise WindowError(
                    f"{one} and {other} overlap on {_days_text(shared)}: merge them into one."
                )


def from_state(state: dict) -> tuple[ZoneInfo, list[Window]]:
    windows = [
        Window(tuple(w["days"]), _from_hhmm(w["start"]), _from_hhmm(w["end"]))
        for w in state["windows"]
    ]
    return zone(state["timezone"]), windows


def text_of(state: dict) -> str:
    """The windows as typed, one per line (the form's initial value)."""
    return "\n".join(str(w) for w in from_state(state)[1]) if state else ""


def describe(state: dict) -> str:
    if not state:
        return "Any time"
    tz, windows = from_state(state)
    return f"{'; '.join(str(w) for w in windows)} ({tz.key})"


def next_opening(state: dict, after: datetime) -> datetime:
    """`after` itself when it falls inside a window (or there are none), else the next moment a
    window opens."""
    if not state:
        return after
    tz, windows = from_state(state)
    local = after.astimezone(tz)
    for window in windows:
        if local.weekday() in window.days and window.start <= local.time() < window.end:
            return after
    start = local.replace(second=0, microsecond=0)
    openings = (
        rrule(
            WEEKLY,
            byweekday=window.days,
            byhour=window.start.hour,
            byminute=window.start.minute,
            bysecond=0,
            dtstart=start.replace(tzinfo=None),
        ).after(local.replace(tzinfo=None))
        for window in windows
    )
    # rrule counts on the wall clock; the zone turns each opening back into a moment.
    return min(opening.replace(tzinfo=tz) for opening in openings)
