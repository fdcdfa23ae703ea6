"""Walking a vault with each file's (size, mtime_ns): the cheap first step of every sync.

The rules are the vault's (`Vault.markdown_paths`): `.md` files not starting
with `.`, in folders not starting with `.` and not `node_modules` or
`__pycache__`, and not the raw research dumps at the root (`inbox-raw/`, `vault.RAW_DIR`);
symbolic links to folders are not followed; a linked file
pointing outside the vault is skipped. (The vault's walk names what it leaves
out; the index has no need to.) `os.scandir` is used directly so one
`stat` per file is all the walk costs (the vault's walk adds an `lstat`).
"""

from __future__ import annotations

import os

from teleo.vault.vault import RAW_DIR

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
                if name[0] == ".":
                    continue
                if name.endswith(".md"):  # the hot path: one stat, no other call
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    mode = st.st_mode & 0o170000
                    if mode == 0o100000:
                        if entry.is_symlink() and not _inside(entry.path, real_root):
                            continue
                        found[prefix + name] = (st.st_size, st.st_mtime_ns)
                        continue
                    if mode != 0o040000:
                        continue
                try:
                    if entry.is_dir(follow_symlinks=False) and name not in SKIPPED_DIRS and \
                            not (prefix == "" and name == RAW_DIR):
                        stack.append((entry.path, prefix + name + "/"))
                except OSError:
                    continue
    return found


def _inside(path: str, real_root: str) -> bool:
    target = os.path.realpath(path)
    return target == real_root or target.startswith(real_root + os.sep)
