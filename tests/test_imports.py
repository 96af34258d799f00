"""The project's parts meet only through ordinary imports of installed packages.

Walks the syntax tree of every Python file in the repository and checks:

* nothing edits `sys.path` (or `site` directories) and nothing imports a module by file path
  (`importlib.util.spec_from_file_location`, `SourceFileLoader`, `runpy.run_path`, ...);
* nothing outside `tests/` imports `tests`;
* the modules of the project's packages import one another without a cycle, counting imports
  inside functions too (a function-level import does not make a cycle go away).
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".git", ".venv", ".cache", "build", "__pycache__", "node_modules", ".pytest_cache", ".hypothesis"}
# Top-level names of the project's own packages and modules (pyproject.toml's [tool.setuptools]).
PROJECT_PACKAGES = {"localnet", "guardctl", "issuer", "guard_core", "custom_rules", "devkit", "nearwasm",
                    "guardjwk", "bench"}
# Package folders whose import name is not their path from the repository root.
PACKAGE_ROOTS = {"contract/guard_core": "guard_core", "contract/custom_rules.py": "custom_rules"}
PATH_IMPORTERS = {
    ("importlib.util", "spec_from_file_location"), ("importlib.util", "module_from_spec"),
    ("importlib.machinery", "SourceFileLoader"), ("importlib.machinery", "SourcelessFileLoader"),
    ("importlib.machinery", "ExtensionFileLoader"), ("runpy", "run_path"), ("imp", "load_source"),
    ("site", "addsitedir"), ("pkgutil", "extend_path"), ("zipimport", "zipimporter"),
}


def python_files() -> list[Path]:
    found = []
    for path in REPO.rglob("*.py"):
        parts = path.relative_to(REPO).parts
        if not any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
            found.append(path)
    return sorted(found)


FILES = python_files()


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def dotted(node: ast.AST) -> str:
    """`a.b.c` for an attribute chain of names, '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it stands for, from every import in the file."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                    alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def resolved(node: ast.AST, names: dict[str, str]) -> str:
    text = dotted(node)
    if not text:
        return ""
    head, _, rest = text.partition(".")
    full = names.get(head, head)
    return f"{full}.{rest}" if rest else full


def sys_path_edits(tree: ast.Module) -> list[int]:
    """Lines that change sys.path: a call of its methods, an assignment to it, setattr(sys, "path")."""
    names = aliases(tree)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = resolved(node.func, names)
            if target.startswith("sys.path.") or target == "sys.path.__setitem__":
                lines.append(node.lineno)
            elif target.endswith("setattr") and len(node.args) >= 2 and resolved(node.args[0], names) == "sys" \
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value == "path":
                lines.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                base = target.value if isinstance(target, ast.Subscript) else target
                if resolved(base, names) == "sys.path":
                    lines.append(node.lineno)
    return lines


def path_imports(tree: ast.Module) -> list[int]:
    """Lines that load a module from a file path."""
    names = aliases(tree)
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            module, _, attribute = resolved(node, names).rpartition(".")
            if (module, attribute) in PATH_IMPORTERS:
                lines.append(node.lineno)
    return sorted(set(lines))


def module_name(path: Path) -> str:
    relative = path.relative_to(REPO).as_posix()
    for folder, name in PACKAGE_ROOTS.items():
        if relative == folder or relative.startswith(folder + "/"):
            relative = name + relative[len(folder):]
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, tree: ast.Module, modules: frozenset[str] = frozenset()) -> set[str]:
    """Every module this file imports, anywhere in it, as absolute dotted names. `from P import n`
    imports P.n when that is one of `modules`, and P itself for anything else it names."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)] if package else []
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            submodules = {f"{prefix}.{alias.name}" for alias in node.names} & modules
            found |= submodules
            if len(submodules) < len(node.names):
                found.add(prefix)
    return found


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (names that are not modules are dropped)."""
    trees = {module_name(path): (path, parse(path)) for path in FILES
             if module_name(path).split(".")[0] in PROJECT_PACKAGES}
    modules = frozenset(trees)
    return {name: {target for target in imported_modules(path, tree, modules) if target in trees and target != name}
            for name, (path, tree) in trees.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_file_is_walked():
    relative = {path.relative_to(REPO).as_posix() for path in FILES}
    assert {"guardctl/cli.py", "issuer/app.py", "contract/guard_core/keys.py", "devkit/guard_chain.py",
            "nearwasm/build.py", "tests/conftest.py", "bench/scenarios.py", "scripts/demo.py"} <= relative


@pytest.mark.parametrize("check", [sys_path_edits, path_imports], ids=["sys.path", "import by path"])
def test_no_file_edits_sys_path_or_imports_by_path(check):
    offenders = [f"{path.relative_to(REPO)}:{line}" for path in FILES for line in check(parse(path))]
    assert not offenders


def test_the_checks_catch_what_they_look_for():
    assert sys_path_edits(ast.parse("import sys\nsys.path.insert(0, 'x')")) == [2]
    assert sys_path_edits(ast.parse("from sys import path\npath.append('x')")) == [2]
    assert sys_path_edits(ast.parse("import sys\nsys.path = []")) == [2]
    assert sys_path_edits(ast.parse("import sys\nmonkeypatch.setattr(sys, 'path', [])")) == [2]
    assert path_imports(ast.parse("import importlib.util\nimportlib.util.spec_from_file_location('m', 'p')")) == [2]
    assert path_imports(ast.parse("from importlib.util import spec_from_file_location")) == []  # the name, unused
    assert path_imports(ast.parse("from importlib import util\nutil.spec_from_file_location('m', 'p')")) == [2]
    assert sys_path_edits(ast.parse("import sys\nprint(sys.path)")) == []
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    package = REPO / "guardctl" / "commands" / "__init__.py"
    assert imported_modules(package, ast.parse("from . import admin\nfrom .. import cli, X"),
                            frozenset({"guardctl.commands.admin", "guardctl.cli"})) == \
        {"guardctl.commands.admin", "guardctl.cli", "guardctl"}


def test_nothing_outside_tests_imports_tests():
    offenders = []
    for path in FILES:
        if path.relative_to(REPO).parts[0] == "tests":
            continue
        modules = imported_modules(path, parse(path))
        offenders += [f"{path.relative_to(REPO)} imports {name}" for name in sorted(modules)
                      if name == "tests" or name.startswith("tests.")]
    assert not offenders


def test_the_project_packages_import_each_other_without_a_cycle():
    graph = import_graph()
    assert {"guardctl.cli", "guardctl.commands.lifecycle", "guard_core.keys", "issuer.app"} <= set(graph)
    assert "nearwasm.build" in graph["guardctl.wasm"]
    assert cycles(graph) == []
