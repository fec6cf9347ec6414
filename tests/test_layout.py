"""The engine stays free of HTTP and database code, so it can run anywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_matcher_imports_no_web_or_db_framework() -> None:
    code = (
        "import sys, pkgutil, importlib, matcher\n"
        "for m in pkgutil.walk_packages(matcher.__path__, 'matcher.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in ('fastapi', 'sqlmodel', 'sqlalchemy', 'api', 'models') "
        "if n in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
