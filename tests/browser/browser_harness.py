"""The browser tests' harness: Debian's Chromium through Playwright, `teleo serve` as a real
subprocess on a temporary vault copy, and a log of what a page did (console errors, dialogs,
requests to other hosts).

Imported by name (`from browser_harness import ...`): tests/browser has no conftest.py,
because other tests import the root one as `conftest`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlparse

import httpx
import pytest
from conftest import git_init
from pydantic import BaseModel, Field

from teleo.web.launch import ServeFailed, serve_process

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request

CHROMIUM = Path(os.environ.get("TELEO_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# machine's closed network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOSTS = {"127.0.0.1"}
# Chromium asks every site for /favicon.ico; the app has none, and a 404 there is not a page error.
IGNORED_CONSOLE_PATHS = {"/favicon.ico"}


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set TELEO_CHROMIUM); "
                ".ci/run installs it")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


def skip_or_fail(reason: str) -> None:
    """Skip for a developer without a browser; fail in CI, where TELEO_REQUIRE_BROWSER=1."""
    if os.environ.get("TELEO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} — TELEO_REQUIRE_BROWSER=1 requires the browser tests to run", pytrace=False)
    pytest.skip(reason)


def launch(playwright: Any) -> Browser:
    """Debian's Chromium, never a browser Playwright downloads."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


# --- the vaults ----------------------------------------------------------------------------

def copy_vault(source: Path, target: Path) -> Path:
    """A private, writable copy of `source` (without its derived .teleo index) under git."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".teleo", ".git"))
    for folder, _dirs, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    return target


def commit_vault(root: Path) -> Path:
    git_init(root)
    return root


# --- the server ----------------------------------------------------------------------------

@contextmanager
def served(vault: Path, log_path: Path) -> Iterator[str]:
    """Run `teleo serve <vault> --port <free>` until the block ends; yield its base URL."""
    try:
        with serve_process(vault, log_path, env={"NO_COLOR": "1", "TELEO_LOG_LEVEL": "warning"}) as server:
            yield server.base
    except ServeFailed as exc:
        pytest.fail(str(exc))


# --- what the tests visit ------------------------------------------------------------------

class Targets(BaseModel):
    """Notes of one served vault that the page tests open, chosen from the app's own data."""

    base: str
    claim: str = Field(description="a claim with a wiki link to another claim")
    link_target: str = Field(description="the claim that `claim` links to")
    source: str
    agent: str
    domain: str
    search_word: str
    graph_nodes: int


def note_url(base: str, path: str) -> str:
    return f"{base}/notes/{quote(path, safe='/')}"


def url_note_path(url: str) -> str:
    """The vault path a /notes/ URL opens."""
    path = unquote(urlparse(url).path)
    assert path.startswith("/notes/"), url
    return path.removeprefix("/notes/")


def find_targets(base: str, vault: Path) -> Targets:
    graph = httpx.get(f"{base}/api/graph", timeout=60).json()
    claims = {node["id"] for node in graph["nodes"] if _kind(vault / node["id"]) == "claim"}
    linked = sorted((edge["source"], edge["target"]) for edge in graph["edges"]
                    if edge["type"] == "wiki-link" and edge["source"] in claims and edge["target"] in claims
                    and edge["source"] != edge["target"])
    assert linked, "the graph has no wiki link between two claims"
    claim, target = linked[0]
    domains = [d["name"] for d in httpx.get(f"{base}/api/domains", timeout=30).json()]
    word = next(w for w in re.findall(r"[a-z]{6,}", Path(claim).stem.lower()))
    return Targets(base=base, claim=claim, link_target=target, source=_first_source(vault),
                   agent=_first_agent(vault), domain=domains[0], search_word=word,
                   graph_nodes=len(graph["nodes"]))


def _kind(path: Path) -> str | None:
    """The note's `type:` (a cheap look at the frontmatter; enough to pick test targets)."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:800]
    except OSError:
        return None
    match = re.search(r"^type:\s*[\"']?(\w+)", head, re.MULTILINE)
    return match.group(1) if match else None


def _first_source(vault: Path) -> str:
    archive = vault / "inbox" / "archive"
    for path in sorted(archive.rglob("*.md")):
        if _kind(path) == "source" and "<" not in path.name:
            return path.relative_to(vault).as_posix()
    raise AssertionError(f"no source note under {archive}")


def _first_agent(vault: Path) -> str:
    agents = sorted(p.parent.name for p in (vault / "agents").glob("*/identity.md"))
    with_beliefs = [name for name in agents if (vault / "agents" / name / "beliefs.md").exists()]
    assert agents, f"no agents/*/identity.md in {vault}"
    return (with_beliefs or agents)[0]


# --- what a page did -----------------------------------------------------------------------

class PageLog:
    """Console errors, uncaught exceptions, dialogs and requests to other hosts seen by a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.foreign_requests: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        if urlparse(where).path in IGNORED_CONSOLE_PATHS:
            return
        self.errors.append(f"console: {message.text} ({where})")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)
        parsed = urlparse(request.url)
        if parsed.scheme in {"data", "blob", "about"}:
            return
        if parsed.hostname not in LOCAL_HOSTS:
            self.foreign_requests.append(request.url)

    def assert_clean(self) -> None:
        assert not self.errors, f"page errors: {self.errors}"
        assert not self.dialogs, f"dialogs fired: {self.dialogs}"
        assert not self.foreign_requests, f"requests left 127.0.0.1: {self.foreign_requests}"


def open_page(page: Page, url: str, expected: str) -> None:
    """Go to `url` and check the page contract: main#main[data-page], an h1, the nav bar."""
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: HTTP {response.status if response else '?'}"
    check_page(page, expected)


def check_page(page: Page, expected: str) -> None:
    main = page.locator("main#main")
    assert main.get_attribute("data-page") == expected, f"{page.url}: data-page is {main.get_attribute('data-page')!r}"
    assert page.locator("h1").count() >= 1, f"{page.url}: no <h1>"
    assert page.locator("h1").first.inner_text().strip(), f"{page.url}: empty <h1>"
    nav = {href for href in page.eval_on_selector_all("nav a[href]", "els => els.map(e => e.getAttribute('href'))")}
    missing = {"/", "/search", "/graph", "/proposals"} - nav
    assert not missing, f"{page.url}: nav bar lacks links to {sorted(missing)}"
