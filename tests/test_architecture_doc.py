"""docs/architecture.md stays true: every entry point its package table names can be imported as
written, and its diagram names every package of `teleo`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGES = sorted(p.name for p in (ROOT / "src" / "teleo").iterdir() if (p / "__init__.py").exists() and p.name != "samples")


def table_rows() -> list[tuple[str, list[str]]]:
    rows = []
    for line in DOC.splitlines():
        if line.startswith("| `teleo."):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows.append((cells[0].strip("`"), re.findall(r"`([^`]+)`", cells[-1])))
    return rows


@pytest.mark.parametrize(("package", "entries"), table_rows(), ids=[row[0] for row in table_rows()])
def test_every_entry_point_is_importable_as_written(package, entries):
    """`name(...)` is exported by the package (in its `__all__`); `module.name(...)` lives in that module."""
    for entry in entries:
        if ":" in entry:  # a console script, `teleo.cli.app:main`
            module, _, attribute = entry.partition(":")
            assert hasattr(importlib.import_module(module), attribute), entry
            continue
        parts = re.match(r"[A-Za-z_][\w.]*", entry).group(0).split(".")
        if parts[0][:1].isupper() or len(parts) == 1:  # `Vault.open(path)`, `check(vault)`: from the package
            exported = getattr(importlib.import_module(package), "__all__", ())
            assert parts[0] in exported, f"{package} does not export {parts[0]} ({entry})"
        else:  # `history.read_log(root)`: from that module of the package
            module = importlib.import_module(f"{package}.{parts[0]}")
            assert hasattr(module, parts[1]), f"{package}.{parts[0]} has no {parts[1]} ({entry})"


def test_the_table_and_the_diagram_name_every_package():
    assert {row[0] for row in table_rows()} == {f"teleo.{name}" for name in PACKAGES}
    diagram = DOC.split("```", 2)[1]
    missing = [name for name in PACKAGES if f"teleo.{name} " not in diagram]
    assert missing == [], f"the diagram leaves out {missing}"
