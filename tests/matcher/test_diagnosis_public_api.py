"""Every public name imports from `matcher`, and importing it stays storage-free."""

from __future__ import annotations

import subprocess
import sys

import pytest

import matcher


@pytest.mark.parametrize("name", matcher.__all__)
def test_public_name_imports(name: str) -> None:
    assert getattr(matcher, name) is not None


def test_import_loads_no_web_or_database_library() -> None:
    code = (
        "import sys, matcher; bad = [m for m in ('fastapi', 'sqlmodel', 'sqlalchemy', "
        "'api', 'models') if m in sys.modules]; print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
