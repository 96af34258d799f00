"""Times as the guard stores them (unix seconds) and as people write them."""
from __future__ import annotations

import re
from datetime import datetime, timezone

_RELATIVE = re.compile(r"^\+(\d+)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}

TIME_HELP = "unix seconds, ISO-8601 (2030-01-31T12:00:00Z; no zone = UTC) or +DURATION from now (+90s, +15m, +2h, +7d)"


def parse_time(text: str, now: int) -> int:
    """Unix seconds for `text`; `now` anchors the +DURATION form. ValueError if unreadable."""
    text = str(text).strip()
    if text.isdigit():
        return int(text)
    relative = _RELATIVE.match(text)
    if relative:
        return now + int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot read time {text!r}: use {TIME_HELP}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def format_time(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
