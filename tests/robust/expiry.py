#!/usr/bin/env python3
"""Reads a grant (supportgrant grant --json) on stdin; prints the expiry its period should have
when computed in ZONE from its granted_at, and the expiry the grant has, both RFC 3339 UTC.
An independent computation (Python's zoneinfo) of SPEC §2: "today" ends at the next local
midnight, "1m" is the same wall-clock time and day next month, clamped to the month's end.
  expiry.py PERIOD ZONE < grant.json"""
import calendar
import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

period, zone = sys.argv[1], ZoneInfo(sys.argv[2])
g = json.load(sys.stdin)
t = datetime.fromisoformat(g["granted_at"].replace("Z", "+00:00")).astimezone(zone)
if period == "today":
    d = t.date() + timedelta(days=1)
    e = datetime(d.year, d.month, d.day, tzinfo=zone)
elif period == "1m":
    y, m = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    e = datetime(y, m, min(t.day, calendar.monthrange(y, m)[1]), t.hour, t.minute, t.second,
                 tzinfo=zone)
else:
    sys.exit(f"unknown period {period}")
print(e.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), g["expires_at"])
