"""Walking a vault with each file's (size, mtime_ns): the cheap first step of every sync.

The rules are the vault's (`Vault.markdown_paths`): `.md` files not starting
with `.`, in folders not starting with `.` and not `node_modules` or
`__pycache__`; symbolic links to folders are not followed; a linked file
pointing outside the vault is skipped. `os.scandir` is used directly so one
`stat` per file is all the walk costs (the vault's walk adds an `lstat`).
"""

from __future__ import annotations

import os

SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})


def scan(root: str) -> dict[str, tuple[int, int]]:
    """Vault-relative POSIX path → (size, mtime_ns) for every markdown file."""
    found: dict[str, tuple[int, int]] = {}
    real_root = os.path.realpath(root)
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if name not in SKIPPED_DIRS:
                            stack.append((entry.path, prefix + name + "/"))
                        continue
                    if not name.endswith(".md"):
                        continue
                    if entry.is_symlink() and not _inside(entry.path, real_root):
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                if not _is_regular(st.st_mode):
                    continue
                found[prefix + name] = (st.st_size, st.st_mtime_ns)
    return found


def _is_regular(mode: int) -> bool:
    return (mode & 0o170000) == 0o100000


def _inside(path: str, real_root: str) -> bool:
    target = os.path.realpath(path)
    return target == real_root or target.startswith(real_root + os.sep)
