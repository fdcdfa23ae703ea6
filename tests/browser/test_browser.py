"""`teleo serve` in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Runs on a temporary git copy of the sample vault (with hostile notes added) and, when present,
of the teleo-codex corpus. One browser and one server per vault for the whole module; each
test gets a fresh browser context. Skipped when Chromium or Playwright is missing, unless
TELEO_REQUIRE_BROWSER=1 (set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import httpx
import pytest
from browser_harness import (
    VIEWPORT,
    PageLog,
    Targets,
    browser_unavailable_reason,
    check_page,
    commit_vault,
    copy_vault,
    find_targets,
    launch,
    note_url,
    open_page,
    served,
    skip_or_fail,
    url_note_path,
)
from conftest import CORPUS, SAMPLE_VAULT, write_files
from hostile_notes import (
    HOSTILE_BRANCH,
    HOSTILE_CLAIM,
    HOSTILE_FILES,
    HOSTILE_SOURCE,
    INERT_CHECK_JS,
    PAYLOAD_LINK_TEXTS,
    add_hostile_proposal,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000


class Tab(NamedTuple):
    page: Page  # noqa: F821 — playwright is imported lazily
    log: PageLog


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser_ready() -> None:
    reason = browser_unavailable_reason()
    if reason:
        skip_or_fail(reason)


@pytest.fixture(scope="module")
def browser(browser_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def sample_site(browser_ready, tmp_path_factory) -> Iterator[Targets]:
    root = tmp_path_factory.mktemp("browser-sample")
    vault = copy_vault(SAMPLE_VAULT, root / "vault")
    write_files(vault, HOSTILE_FILES)
    commit_vault(vault)
    add_hostile_proposal(vault)
    with served(vault, root / "serve.log") as base:
        yield find_targets(base, vault)


@pytest.fixture(scope="module")
def corpus_site(browser_ready, tmp_path_factory) -> Iterator[Targets]:
    """The corpus, copied first: serve writes its .teleo index inside the vault it serves."""
    if not (CORPUS / "domains").is_dir():
        pytest.skip(f"teleo-codex corpus not found at {CORPUS} (set TELEO_CORPUS to run corpus tests)")
    root = tmp_path_factory.mktemp("browser-corpus")
    vault = commit_vault(copy_vault(CORPUS, root / "vault"))
    with served(vault, root / "serve.log") as base:
        yield find_targets(base, vault)


@pytest.fixture(scope="module", params=["sample", pytest.param("corpus", marks=pytest.mark.corpus)])
def site(request) -> Targets:
    return request.getfixturevalue(f"{request.param}_site")


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield Tab(page, PageLog(page))
    finally:
        context.close()


# --- every page type loads -----------------------------------------------------------------

PAGES = ["home", "domain", "claim", "source", "agent", "search", "graph", "proposals"]


def page_url(site: Targets, kind: str) -> str:
    return {
        "home": f"{site.base}/",
        "domain": f"{site.base}/domains/{site.domain}",
        "claim": note_url(site.base, site.claim),
        "source": note_url(site.base, site.source),
        "agent": f"{site.base}/agents/{site.agent}",
        "search": f"{site.base}/search?q={site.search_word}",
        "graph": f"{site.base}/graph",
        "proposals": f"{site.base}/proposals",
    }[kind]


@pytest.mark.parametrize("kind", PAGES)
def test_page_loads_without_errors(site: Targets, tab: Tab, kind: str) -> None:
    open_page(tab.page, page_url(site, kind), kind)
    if kind == "agent":
        for section in ("#identity", "#beliefs", "#positions", "#contributions"):
            assert tab.page.locator(section).count() == 1, f"agent page lacks {section}"
    if kind == "search":
        assert tab.page.locator("#results li.result").count() >= 1, f"no results for {site.search_word!r}"
    if kind == "graph":
        tab.page.wait_for_selector("#graph[data-ready=true]", state="attached")
    tab.log.assert_clean()


# --- links, previews, search ---------------------------------------------------------------

def test_wikilink_click_navigates_to_the_target(site: Targets, tab: Tab) -> None:
    open_page(tab.page, note_url(site.base, site.claim), "claim")
    target_href = note_url("", site.link_target)
    link = tab.page.locator(f'main a.wikilink[href="{target_href}"]').first
    assert link.count() == 1, f"no wiki link to {site.link_target} on {site.claim}"

    link.hover()
    preview = tab.page.locator(".popover:not([hidden])")
    preview.wait_for(state="visible")
    assert preview.inner_text().strip(), "the hover preview is empty"

    with tab.page.expect_navigation():
        link.click()
    assert url_note_path(tab.page.url) == site.link_target
    check_page(tab.page, "claim")
    tab.log.assert_clean()


def test_search_form_finds_and_opens_a_note(site: Targets, tab: Tab) -> None:
    open_page(tab.page, f"{site.base}/search", "search")
    form = tab.page.locator("form#search-form")
    for name in ("mode", "domain", "type", "confidence", "agent", "status"):
        assert form.locator(f"select[name={name}]").count() == 1, f"search form lacks the {name} filter"
    form.locator("input[name=q]").fill(site.search_word)
    with tab.page.expect_navigation():
        form.locator("input[name=q]").press("Enter")
    check_page(tab.page, "search")
    results = tab.page.locator("ol#results li.result")
    assert results.count() >= 1, f"no results for {site.search_word!r}"

    first = results.first.locator("a.result-title")
    href = first.get_attribute("href")
    with tab.page.expect_navigation():
        first.click()
    assert tab.page.url.endswith(href)
    assert tab.page.locator("main#main").get_attribute("data-page") in {"claim", "source", "note", "agent"}
    tab.log.assert_clean()


# --- the graph -----------------------------------------------------------------------------

LONELIEST_NODE_JS = """(ids) => {
  const box = document.getElementById('graph-canvas').getBoundingClientRect();
  const margin = 12;
  const inside = (p) => p && p.x > Math.max(box.left, 0) + margin && p.x < Math.min(box.right, innerWidth) - margin
    && p.y > Math.max(box.top, 0) + margin && p.y < Math.min(box.bottom, innerHeight) - margin;
  const points = ids.map((id) => ({id, p: window.teleoGraph.nodeScreenPosition(id)}));
  const shown = points.filter((q) => inside(q.p));
  let best = null, bestGap = -1;
  for (const a of shown) {
    let gap = Infinity;
    for (const b of points) {
      if (a === b || !b.p) continue;
      gap = Math.min(gap, Math.hypot(a.p.x - b.p.x, a.p.y - b.p.y));
    }
    if (gap > bestGap) { best = a; bestGap = gap; }
  }
  return best && {id: best.id, x: best.p.x, y: best.p.y, gap: bestGap};
}"""


def test_graph_draws_zooms_pans_filters_and_opens_a_node(site: Targets, tab: Tab) -> None:
    open_page(tab.page, f"{site.base}/graph", "graph")
    page = tab.page
    page.wait_for_selector("#graph[data-ready=true]", state="attached")
    assert page.get_attribute("#graph", "data-nodes") == str(site.graph_nodes)
    assert page.locator("#graph-canvas").count() == 1

    total = page.evaluate("window.teleoGraph.visibleNodeCount()")
    assert total == site.graph_nodes
    graph = httpx.get(f"{site.base}/api/graph", timeout=60).json()
    domain = max({n["domain"] for n in graph["nodes"]}, key=lambda d: sum(n["domain"] == d for n in graph["nodes"]))
    in_domain = sum(n["domain"] == domain for n in graph["nodes"])
    checkbox = page.locator(f'input.domain-filter[value="{domain}"]')
    checkbox.uncheck()
    assert page.evaluate("window.teleoGraph.visibleNodeCount()") == total - in_domain
    checkbox.check()
    assert page.evaluate("window.teleoGraph.visibleNodeCount()") == total

    page.locator("#graph-canvas").scroll_into_view_if_needed()
    some_id = graph["nodes"][0]["id"]
    position = lambda: page.evaluate("(id) => window.teleoGraph.nodeScreenPosition(id)", some_id)
    box = page.locator("#graph-canvas").bounding_box()
    before = position()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function("([id, x, y]) => { const p = window.teleoGraph.nodeScreenPosition(id);"
                           " return Math.abs(p.x - x) + Math.abs(p.y - y) > 1; }", arg=[some_id, before["x"], before["y"]])
    zoomed = position()
    page.mouse.move(box["x"] + 4, box["y"] + 4)  # a corner: the layout keeps a margin free of nodes
    page.mouse.down()
    page.mouse.move(box["x"] + 64, box["y"] + 44, steps=4)
    page.mouse.up()
    panned = position()
    assert abs(panned["x"] - zoomed["x"] - 60) < 2 and abs(panned["y"] - zoomed["y"] - 40) < 2, "dragging does not pan"
    assert "/graph" in page.url, "a drag opened a note"
    page.wait_for_timeout(100)

    node = page.evaluate(LONELIEST_NODE_JS, [n["id"] for n in graph["nodes"]])
    assert node, "no graph node is drawn inside the visible canvas"
    with page.expect_navigation():
        page.mouse.click(node["x"], node["y"])
    assert url_note_path(page.url) == node["id"]
    tab.log.assert_clean()


# --- hostile notes (sample vault only: the corpus is not ours to write into) ---------------

def assert_inert(tab: Tab) -> None:
    problems = tab.page.evaluate(INERT_CHECK_JS)
    assert problems == [], f"{tab.page.url}: {problems}"
    tab.log.assert_clean()


def test_hostile_claim_renders_its_payloads_inert(sample_site: Targets, tab: Tab) -> None:
    page = tab.page
    open_page(page, note_url(sample_site.base, HOSTILE_CLAIM), "claim")
    assert "<img src=x onerror=window.__xss=1>" in page.locator("h1").first.inner_text(), \
        "the title's markup should be shown as text"
    assert page.locator('main a.wikilink[href^="/notes/"]').count() >= 1, "the note's real wiki link is gone"
    assert_inert(tab)

    if page.locator("#hover-bait").count():
        page.locator("#hover-bait").hover()
    for text in PAYLOAD_LINK_TEXTS:
        link = page.locator("main a", has_text=text)
        if link.count():
            link.first.click(no_wait_after=True)
    page.wait_for_timeout(300)
    assert url_note_path(page.url) == HOSTILE_CLAIM, f"a payload link navigated to {page.url}"
    assert_inert(tab)


def test_hostile_source_renders_its_payloads_inert(sample_site: Targets, tab: Tab) -> None:
    open_page(tab.page, note_url(sample_site.base, HOSTILE_SOURCE), "source")
    assert_inert(tab)


def test_proposal_page_opens_from_the_list_and_stays_inert(sample_site: Targets, tab: Tab) -> None:
    open_page(tab.page, f"{sample_site.base}/proposals", "proposals")
    link = tab.page.locator(f'main a[href="/proposals/{HOSTILE_BRANCH}"]')
    assert link.count() == 1, f"the proposals page does not list {HOSTILE_BRANCH}"
    with tab.page.expect_navigation():
        link.click()
    check_page(tab.page, "proposal")
    assert "proposed claim" in tab.page.locator("main").inner_text(), "the proposal's diff is not shown"
    assert_inert(tab)


@pytest.mark.parametrize("kind", ["home", "domain", "search", "graph"])
def test_pages_listing_hostile_notes_stay_inert(sample_site: Targets, tab: Tab, kind: str) -> None:
    url = {
        "home": f"{sample_site.base}/",
        "domain": f"{sample_site.base}/domains/internet-finance",
        "search": f"{sample_site.base}/search?q=hostile",
        "graph": f"{sample_site.base}/graph",
    }[kind]
    open_page(tab.page, url, kind)
    if kind == "search":
        assert tab.page.locator("#results li.result").count() >= 1, "the hostile notes are not found"
    if kind == "graph":
        tab.page.wait_for_selector("#graph[data-ready=true]", state="attached")
        tab.page.locator("#graph-canvas").scroll_into_view_if_needed()
        spot = tab.page.evaluate("(id) => window.teleoGraph.nodeScreenPosition(id)", HOSTILE_CLAIM)
        assert spot, "the hostile claim is not in the graph"
        tab.page.mouse.move(spot["x"], spot["y"])
        tab.page.wait_for_timeout(200)
    assert_inert(tab)


def test_the_inert_check_catches_a_live_payload(browser, tab: Tab) -> None:
    """The checks above are not vacuous: unsanitised markup trips every one of them."""
    tab.page.set_content('<main id="main"><img src="x" onerror="window.__xss=1; alert(1)">'
                         '<a href="javascript:void 0">x</a><script>void 0</script></main>')
    tab.page.wait_for_function("typeof window.__xss !== 'undefined'")
    problems = tab.page.evaluate(INERT_CHECK_JS)
    assert any(p.startswith("handler") for p in problems)
    assert any(p.startswith("url") for p in problems)
    assert any(p.startswith("script in body") for p in problems)
    assert "window.__xss = 1" in problems
    assert tab.log.dialogs == ["alert: 1"]
