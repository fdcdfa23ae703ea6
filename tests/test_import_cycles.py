"""Dependencies point one way: no import cycle between `teleo` packages, nor between modules.

Read from the source with `ast`, not by importing, so every import counts: at the top of a module,
inside a function (a lazy import), under `if TYPE_CHECKING:`. A lazy import only postpones when
the dependency is paid, not that it exists — two packages that reach into each other, however
late, are one design that has to change together. (Relative imports are resolved; a package's
`__init__` is its own node; `from teleo.x import y` means the module `teleo.x.y` when there is one.)
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "teleo"


def module_names() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = module_names()


def imports_of(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported teleo module, line) for every import statement of the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target != name and target != "teleo":
                found.append((target, node.lineno))
    return found


EDGES = {name: imports_of(name, path) for name, path in MODULES.items()}


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def explain(component: list[str], level) -> list[str]:
    """The imports that tie the component together, as `module:line -> module`."""
    members = set(component)
    return sorted(
        f"{module}:{line} -> {target}"
        for module, targets in EDGES.items()
        for target, line in targets
        if level(module) in members and level(target) in members and level(module) != level(target)
    )


def test_no_import_cycle_between_teleo_packages():
    graph: dict[str, set[str]] = {}
    for module, targets in EDGES.items():
        for target, _ in targets:
            if package_of(module) != package_of(target):
                graph.setdefault(package_of(module), set()).add(package_of(target))
    found = cycles(graph)
    assert found == [], "\n".join(f"{' <-> '.join(c)}:\n  " + "\n  ".join(explain(c, package_of)) for c in found)


def test_no_import_cycle_between_teleo_modules():
    graph = {module: {target for target, _ in targets} for module, targets in EDGES.items()}
    found = cycles(graph)
    assert found == [], "\n".join(f"{' <-> '.join(c)}:\n  " + "\n  ".join(explain(c, str)) for c in found)


def test_the_check_sees_lazy_and_type_checking_imports(tmp_path):
    """The analysis itself: an import inside a function and one under TYPE_CHECKING are edges."""
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from teleo.web import app\n" \
             "def late():\n    from teleo.repo import history\n"
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    assert {target for target, _ in imports_of("teleo.probe", path)} == {"teleo.web.app", "teleo.repo.history"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
