"""Summaries of profiler output: where the time goes, as shares of samples.

py-spy's raw format is one collapsed stack per line ("f (file:line);g (file:line) N").
Shares are inclusive (a function counts when it is anywhere on the stack) and
per function (line numbers folded), listing the project's own code and the
libraries it calls.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def _fold(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for prefix in (str(ROOT) + "/", ".venv/lib/"):
        if prefix in file:
            file = file.split(prefix, 1)[1]
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    return f"{match['func']} ({file})"


def summarize_collapsed(path: Path, *, top: int = 15) -> dict[str, Any]:
    """Inclusive and self shares of the functions in a py-spy raw profile."""
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_fold(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return {"samples": 0}

    def project(frame: str) -> bool:
        return any(f"({p}/" in frame for p in ("api", "matcher", "models"))

    return {
        "samples": total,
        "project_inclusive": [
            {"function": f, "share": round(c / total, 3)}
            for f, c in inclusive.most_common()
            if project(f)
        ][:top],
        "self": [{"function": f, "share": round(c / total, 3)} for f, c in own.most_common(top)],
    }


def summarize_pyinstrument(profiler: Any, *, top: int = 15) -> dict[str, Any]:
    """Inclusive shares per function of the project's code in a pyinstrument session."""
    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is None or not root.time:
        return {"seconds": 0.0}
    totals: Counter[str] = Counter()

    def walk(frame: Any, above: frozenset[str]) -> None:
        path = frame.file_path or ""
        key = f"{frame.function} ({_short(path)})"
        if key not in above and any(f"/{p}/" in path for p in ("api", "matcher", "models")):
            if str(ROOT) in path and ".venv" not in path:
                totals[key] += frame.time
        for child in frame.children:
            walk(child, above | {key})

    walk(root, frozenset())
    return {
        "seconds": round(root.time, 3),
        "project_inclusive": [
            {"function": f, "share": round(t / root.time, 3)} for f, t in totals.most_common(top)
        ],
    }


def _short(path: str) -> str:
    prefix = str(ROOT) + "/"
    return path.split(prefix, 1)[1] if prefix in path else path
