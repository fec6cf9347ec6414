"""The engine's shape: free of HTTP and database code, no import cycle, small modules,
no argparse entry point, no repository path read inside the engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATCHER = ROOT / "matcher"
MAX_LINES = 400


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import the module can execute, at any depth; `if TYPE_CHECKING:` blocks
    never run, so their imports (annotations only) are left out."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _import_graph() -> dict[str, set[str]]:
    paths = sorted(MATCHER.rglob("*.py"))
    modules = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from a import b` imports the module a.b when there is one, else a.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


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


def test_every_matcher_module_imports_and_the_graph_has_no_cycle() -> None:
    graph = _import_graph()
    assert {"matcher.matching.ranking", "matcher.encoders.loading"} <= set(graph)
    assert "matcher.matching.registry" in graph["matcher.matching.pool"]  # edges are found
    code = (
        "import importlib, sys\n"
        f"for name in {sorted(graph)!r}:\n"
        "    importlib.import_module(name)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_matcher_module_is_over_the_size_limit() -> None:
    sizes = {
        p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in _sources("matcher")
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_no_argparse_entry_point() -> None:
    """One CLI tree: `ld` (Typer); the engine's and the bench's commands use no argparse."""
    found = [
        p.relative_to(ROOT).as_posix()
        for p in _sources("matcher", "api", "bench")
        if "argparse" in p.read_text(encoding="utf-8")
    ]
    assert found == []


def test_matcher_reads_no_repository_path() -> None:
    """The engine is given files and loaded objects; it never locates the repository."""
    markers = ("__file__", "parent.parent", "parents[")
    found = [
        (p.relative_to(ROOT).as_posix(), marker)
        for p in _sources("matcher")
        for marker in markers
        if marker in p.read_text(encoding="utf-8")
    ]
    assert found == []
