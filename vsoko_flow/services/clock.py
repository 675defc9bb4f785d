"""The school's clock: one time zone (Settings.timezone, VSOKO_TIMEZONE) for «today» and for times shown.

Times are stored as naive UTC (models/base.py); a school in Yekaterinburg and a server in UTC must
still agree on what «today» and «12:30» mean, so every page, API answer and deadline asks here.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=8)
def zone(name: str) -> dt.tzinfo:
    """The zone by its IANA name; an unknown name falls back to UTC rather than failing a page."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def school_now(timezone: str) -> dt.datetime:
    return dt.datetime.now(dt.UTC).astimezone(zone(timezone))


def school_today(timezone: str) -> dt.date:
    """The date at the school now: after 21:00 UTC it is already tomorrow in Moscow."""
    return school_now(timezone).date()


def local_time(moment: dt.datetime, timezone: str) -> dt.datetime:
    """A stored (naive UTC) or aware moment in the school's zone, with its offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone(timezone))


def local_iso(moment: dt.datetime | None, timezone: str) -> str | None:
    """ISO 8601 with the offset («2026-12-04T22:15:00+03:00»), as the API returns times."""
    return None if moment is None else local_time(moment, timezone).isoformat(timespec="seconds")
