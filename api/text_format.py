"""How figures and times are written for people: the pages, the print view and the .docx."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

LOCAL_TZ = timezone(timedelta(hours=8), "北京时间")


def money(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def wan(value: float | None) -> str:
    """An amount in 万元 with its unit, or a dash when unknown."""
    text = money(value)
    return text if text == "—" else f"{text} 万元"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
