"""The post-merge link doctor: `teleo fix`'s safe repairs, on the notes a merge touched only.

A lenient link (case, `.md`, punctuation, a stale path) is rewritten to the exact title it
resolves to, and a truncated link with exactly one completion is completed. A repair is kept
only when the note keeps every link it had (same count of `[[`), so nothing is ever stripped;
repairs `teleo fix` itself would refuse are skipped.
"""

from __future__ import annotations

from teleo.gates.fixes import safe_fixes
from teleo.vault import Vault


def link_doctor(vault: Vault, paths: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(path → repaired text, path → what changed) for the markdown notes among `paths`."""
    known = set(vault.markdown_paths())
    touched = sorted({path for path in paths if path.endswith(".md") and path in known})
    texts: dict[str, str] = {}
    changes: dict[str, list[str]] = {}
    for fix in safe_fixes(vault, touched):
        if fix.refused or not fix.changed:
            continue
        if fix.after.count("[[") != fix.before.count("[["):
            continue  # never lose a link, whatever a fixer does
        texts[fix.path] = fix.after
        changes[fix.path] = list(fix.changes)
    return texts, changes
