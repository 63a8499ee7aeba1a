"""The layout keeps its promises: the domain packages import nothing from
Django, and the portal's modules import one way, without a circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DJANGO_FREE = ["imports.schedule", "imports.wfm"]


def _modules(package: str) -> list[str]:
    folder = ROOT / package.replace(".", "/")
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("module", [m for package in DJANGO_FREE for m in _modules(package)])
def test_a_domain_module_imports_without_django(module):
    # A fresh interpreter in which importing Django fails: any module that
    # reaches it, however indirectly, fails to import.
    code = (
        "import sys\n"
        "class NoDjango:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.') or name.startswith('celery'):\n"
        "            raise ImportError(f'{name} imported by a Django-free module')\n"
        "sys.meta_path.insert(0, NoDjango())\n"
        f"import {module}\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _imports_of(path: Path, module: str) -> set[str]:
    """Every first-party module a file imports, at the top or inside a function."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {m: ROOT / (m.replace(".", "/") + ".py") for m in _modules("imports")}
    for name in list(modules):
        if not modules[name].exists():
            modules[name] = ROOT / name.replace(".", "/") / "__init__.py"
    known = set(modules)
    return {
        name: {
            dep
            for dep in _imports_of(path, name)
            if dep in known and dep != name and not name.startswith("imports.migrations")
        }
        for name, path in modules.items()
        if ".migrations." not in name and ".tests" not in name
    }


def test_the_portal_modules_import_without_a_circle():
    graph = _graph()
    state: dict[str, str] = {}
    circles = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for dep in sorted(graph.get(name, ())):
            if state.get(dep) == "open":
                circles.append(" → ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_only_the_enqueueing_module_names_the_tasks():
    graph = _graph()
    importers = sorted(name for name, deps in graph.items() if "imports.tasks" in deps)
    assert importers == []
    assert "imports.tasks" in (ROOT / "imports/enqueue.py").read_text()
