"""Numbers → geometry for the inline SVG and CSS bars (no chart library)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def horizontal_bars(items: Iterable[tuple[str, int | float]]) -> list[dict[str, Any]]:
    """Label, value and width in % of the largest value."""
    rows = list(items)
    top = max((v for _, v in rows), default=0) or 1
    return [{"label": label, "value": v, "pct": round(100 * v / top, 1)} for label, v in rows]


def column_chart(
    items: Iterable[tuple[str, int]], width: int = 560, height: int = 200
) -> dict[str, Any]:
    """Columns for an SVG chart: one per (label, count), with y-axis ticks."""
    rows = list(items)[-12:]
    top = max((v for _, v in rows), default=0)
    scale_top = max(top, 1)
    left, bottom, inner_h = 32, 28, height - 40
    slot = (width - left - 8) / max(len(rows), 1)
    bars = []
    for index, (label, value) in enumerate(rows):
        h = inner_h * value / scale_top
        w = min(slot * 0.6, 44)
        x = left + index * slot + (slot - w) / 2
        bars.append(
            {
                "x": round(x, 1),
                "y": round(height - bottom - h, 1),
                "w": round(w, 1),
                "h": round(h, 1),
                "cx": round(x + w / 2, 1),
                "label": label,
                "value": value,
            }
        )
    ticks = sorted({0, scale_top // 2, scale_top})
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "baseline": height - bottom,
        "left": left,
        "ticks": [
            {"value": t, "y": round(height - bottom - inner_h * t / scale_top, 1)} for t in ticks
        ],
        "empty": top == 0,
    }


def component_bars(
    items: Iterable[Mapping[str, float]], labels: Mapping[str, str]
) -> tuple[float, list[list[dict[str, Any]]]]:
    """Per match, one bar per score component on a shared scale centred on zero.

    Components can be negative (a penalty), so each bar grows left or right from
    the middle; the scale is the largest |value| among all shown matches, so bars
    compare across partners.
    """
    rows = [dict(c) for c in items]
    scale = max((abs(v) for c in rows for v in c.values()), default=0.0) or 1.0
    out = []
    for components in rows:
        bars = []
        for key, label in labels.items():
            value = float(components.get(key, 0.0))
            half = 50 * abs(value) / scale
            bars.append(
                {
                    "key": key,
                    "label": label,
                    "value": value,
                    "left": round(50 - half if value < 0 else 50, 2),
                    "width": round(half, 2),
                    "negative": value < 0,
                }
            )
        out.append(bars)
    return scale, out
