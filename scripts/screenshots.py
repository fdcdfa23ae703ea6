"""Screenshots of `teleo serve` for the README: home, a claim and the graph, 1280×800.

Serves a temporary git copy of a vault (the bundled sample vault by default) and photographs
it with Debian's Chromium driven by Playwright (never a browser Playwright downloads).

    python scripts/screenshots.py                      # → docs/screenshots/{home,claim,graph}.png
    python scripts/screenshots.py --vault ../teleo-codex --out /tmp/shots
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx

from teleo.web.launch import ServeFailed, serve_process

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("TELEO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
GIT_ENV = {"GIT_AUTHOR_NAME": "Teleo screenshots", "GIT_AUTHOR_EMAIL": "screenshots@example.org",
           "GIT_COMMITTER_NAME": "Teleo screenshots", "GIT_COMMITTER_EMAIL": "screenshots@example.org"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vault", type=Path, default=REPO / "examples" / "sample-vault", help="vault to serve (copied first)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="folder for the PNGs")
    parser.add_argument("--no-run", action="store_true", help="photograph the vault as it is, without `teleo run` first")
    args = parser.parse_args()
    problem = _missing_browser()
    if problem:
        print(f"screenshots: {problem}", file=sys.stderr)
        return 1
    if not args.vault.is_dir():
        print(f"screenshots: no vault at {args.vault}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="teleo-shots-") as tmp:
        vault = _git_copy(args.vault, Path(tmp) / "vault")
        if not args.no_run:
            _run_pipeline(vault)
        with _served(vault, Path(tmp) / "serve.log") as base:
            for path in _photograph(base, args.out):
                print(path)
    return 0


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set TELEO_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


def _git_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".teleo", ".git"))
    env = {**os.environ, **GIT_ENV}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "snapshot for screenshots"]):
        subprocess.run(["git", "-C", str(target), *command], check=True, env=env)
    return target


def _run_pipeline(vault: Path) -> None:
    """`teleo run` offline first, so the pages show merges, verdicts and flags."""
    command = [sys.executable, "-c", "from teleo.cli.app import main; main()", "run", "--format", "json"]
    env = {**os.environ, **GIT_ENV}
    subprocess.run(command, cwd=vault, check=True, env=env, stdout=subprocess.DEVNULL)


@contextmanager
def _served(vault: Path, log_path: Path) -> Iterator[str]:
    try:
        with serve_process(vault, log_path) as server:
            yield server.base
    except ServeFailed as exc:
        raise SystemExit(f"screenshots: {exc}") from None


def _best_claim(base: str) -> str:
    """The claim with the most links: the richest page to show."""
    graph = httpx.get(f"{base}/api/graph", timeout=60).json()
    degree = Counter()
    for edge in graph["edges"]:
        degree[edge["source"]] += 1
        degree[edge["target"]] += 1
    return max(graph["nodes"], key=lambda node: (degree[node["id"]], node["id"]))["id"]


def _photograph(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = {
        "home": f"{base}/",
        "claim": f"{base}/notes/{quote(_best_claim(base), safe='/')}",
        "graph": f"{base}/graph",
    }
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        for name, url in shots.items():
            page.goto(url)
            if name == "graph":
                page.wait_for_selector("#graph[data-ready=true]", state="attached")
            path = out / f"{name}.png"
            page.screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


if __name__ == "__main__":
    sys.exit(main())
