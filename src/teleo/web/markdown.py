"""Markdown → HTML, rendered first and sanitised after (notes are untrusted data).

markdown-it-py renders CommonMark (+ tables, strikethrough) with raw HTML allowed,
then nh3 (the Rust `ammonia` sanitiser) keeps only a fixed set of tags and
attributes: `<script>`/`<style>` vanish with their content, event handlers
(`onerror=`, …) and `javascript:`/`data:` URLs are dropped, links get
`rel="noopener noreferrer"`. Sanitising *after* rendering is the point: the
renderer may produce anything from hostile input, the sanitiser has the last word.

Wiki links are an inline rule (so `[[x]]` inside code stays code) rendered as
`<a class="wikilink" href="/notes/<path>">` or, unresolved,
`<span class="wikilink broken" title="unresolved">`.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Callable
from urllib.parse import quote

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from teleo.notes import split_link


@dataclass(frozen=True)
class LinkTarget:
    """Where a wiki link leads (path None: unresolved) and what its hover shows."""

    path: str | None
    preview: str | None = None


Resolve = Callable[[str], LinkTarget]
"""raw text between the brackets → target."""

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
"""No images: a note must not make the browser fetch from another host."""
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in ALLOWED_TAGS},
    "a": {"href", "title", "class", "data-path"},
    "span": {"class", "title"},
    "code": {"class"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS, clean_content_tags={"script", "style"}, attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
)


def note_href(path: str) -> str:
    """The page of the note at vault-relative `path` (URL-encoded; `/` kept)."""
    return "/notes/" + quote(path, safe="/")


def sanitise(html: str) -> str:
    return _cleaner.clean(html)


def render_markdown(text: str, resolve: Resolve | None = None, *, title: str | None = None) -> str:
    """Safe HTML for a markdown `text`; wiki links resolved by `resolve`.

    Headings are demoted one level (the page's `<h1>` is its title), and a first heading that
    repeats `title` is dropped: notes start with `# <their title>`, which the page already shows."""
    env = {"resolve": resolve or (lambda raw: LinkTarget(None))}
    tokens = _md.parse(text, env)
    _drop_title_heading(tokens, title)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2", "h3", "h4", "h5"):
            token.tag = f"h{int(token.tag[1]) + 1}"
    return sanitise(_md.renderer.render(tokens, _md.options, env))


def _drop_title_heading(tokens: list, title: str | None) -> None:
    if not title or len(tokens) < 3 or tokens[0].type != "heading_open" or tokens[0].tag != "h1":
        return
    if _squash(tokens[1].content) == _squash(title):
        del tokens[0:3]


def _squash(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .")


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    start = state.pos
    if not state.src.startswith("[[", start):
        return False
    end = state.src.find("]]", start + 2)
    if end < 0:
        return False
    inner = state.src[start + 2 : end]
    if not inner.strip() or "\n" in inner or "[" in inner:
        return False
    if not silent:
        token = state.push("wikilink", "", 0)
        token.meta = {"raw": inner}
    state.pos = end + 2
    return True


def _render_wikilink(self, tokens, idx, options, env) -> str:  # markdown-it render rule signature
    raw = tokens[idx].meta["raw"]
    target, alias = split_link(raw)
    text = alias or target or raw
    found: LinkTarget = env["resolve"](raw)
    if found.path is None:
        return f'<span class="wikilink broken" title="unresolved">{escape(text)}</span>'
    title = f' title="{escape(found.preview)}"' if found.preview else ""
    return (
        f'<a class="wikilink" href="{escape(note_href(found.path))}" data-path="{escape(found.path)}"{title}>'
        f"{escape(text)}</a>"
    )


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    md.add_render_rule("wikilink", _render_wikilink)
    return md


_md = _build()
