"""Notes written into the temporary sample vault whose text tries to run script in the browser.

Every payload, if it ran, sets `window.__xss` (or the parent's) and/or opens a dialog, or
fetches from another host; the tests assert none of that happens. Written for these tests.
"""

from __future__ import annotations

HOSTILE_CLAIM = ("domains/internet-finance/hostile claim <img src=x onerror=window.__xss=1> "
                 "carries script payloads for the sanitiser.md")
HOSTILE_SOURCE = "inbox/archive/2026-03-09-hostile-source-with-payloads.md"
LINK_TARGET = ("prediction markets aggregate dispersed information better than expert panels "
               "when traders have skin in the game")

# Texts of the links in the hostile claim that a click must not turn into script.
PAYLOAD_LINK_TEXTS = ("markdown javascript link", "anchor javascript link", "mixed case link",
                      "entity encoded link", "data url link")

HOSTILE_FILES: dict[str, str] = {
    HOSTILE_CLAIM: f"""
        ---
        type: claim
        domain: internet-finance
        title: "<script>window.__xss='title'; alert('title')</script>"
        description: "<img src=x onerror=\\"window.__xss='description'; alert('description')\\"> a description"
        confidence: "<svg onload=\\"window.__xss='confidence'\\"></svg>likely"
        source: "<a href=\\"javascript:window.__xss='source'\\">source</a>"
        created: 2026-03-09
        tags: ["<script>window.__xss='tag'</script>"]
        ---

        # hostile claim <img src=x onerror=window.__xss=1> carries script payloads for the sanitiser

        The argument leans on [[{LINK_TARGET}]] and on nothing the browser should run.

        <script>window.__xss = 'script'; alert('script')</script>

        <img src=x onerror="window.__xss='img'; alert('img')">

        <img src="https://evil.example/pixel.png" alt="tracker">

        ![tracker](https://evil.example/markdown-pixel.png)

        [markdown javascript link](javascript:window.__xss='mdlink';alert('mdlink'))

        <a href="javascript:window.__xss='anchor';alert('anchor')">anchor javascript link</a>

        <a href="JaVaScRiPt:window.__xss='case'">mixed case link</a>

        [entity encoded link](&#106;avascript:window.__xss='entity')

        [data url link](data:text/html,<script>alert('data')</script>)

        <svg onload="window.__xss='svg';alert('svg')"><circle r="5"/></svg>

        <iframe src="javascript:parent.__xss='iframe';alert('iframe')"></iframe>

        <iframe srcdoc="<script>parent.__xss='srcdoc'</script>"></iframe>

        <div onmouseover="window.__xss='hover'" id="hover-bait">hover bait</div>

        <object data="javascript:window.__xss='object'"></object>

        <form action="javascript:window.__xss='form'"><button id="form-bait">go</button></form>

        <style>body {{ background: url(https://evil.example/style.png) }}</style>

        <link rel="stylesheet" href="https://evil.example/sheet.css">

        <math><mtext><table><mglyph><style><img src=x onerror="window.__xss='mxss'"></style></mglyph></table></mtext></math>
        """,
    HOSTILE_SOURCE: """
        ---
        type: source
        title: "<script>window.__xss='source-title'</script> hostile source"
        author: "<img src=x onerror=\\"window.__xss='author'\\">"
        url: "javascript:window.__xss='url';alert('url')"
        date: 2026-03-09
        domain: internet-finance
        format: article
        status: processed
        processed_by: rio
        claims_extracted:
          - "hostile claim <img src=x onerror=window.__xss=1> carries script payloads for the sanitiser"
        ---

        # <svg onload="window.__xss='source-h1'"> hostile source

        <script>window.__xss='source-body'</script>
        <img src=x onerror="window.__xss='source-img'">
        [click](javascript:window.__xss='source-link')
        """,
}

# After a page with these notes loads: nothing in <main> may be able to run script.
INERT_CHECK_JS = """() => {
  const problems = [];
  const main = document.querySelector('main');
  for (const el of document.querySelectorAll('body script')) problems.push('script in body: ' + el.outerHTML.slice(0, 80));
  for (const el of main.querySelectorAll('iframe, object, embed, frame, frameset, base, meta, link, style'))
    problems.push('element: ' + el.outerHTML.slice(0, 80));
  for (const el of main.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) problems.push('handler: ' + el.outerHTML.slice(0, 80));
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(attr.name.toLowerCase())) {
        const value = attr.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
        if (value.startsWith('javascript:') || value.startsWith('data:') || value.startsWith('vbscript:'))
          problems.push('url: ' + el.outerHTML.slice(0, 80));
      }
    }
  }
  if (typeof window.__xss !== 'undefined') problems.push('window.__xss = ' + window.__xss);
  return problems;
}"""

HOSTILE_BRANCH = "extract/2026-03-09-hostile-source-with-payloads"
PROPOSED_CLAIM = "domains/internet-finance/proposed claim <svg onload=window.__xss=2> arrives on a branch.md"
PROPOSED_TEXT = """---
type: claim
domain: internet-finance
description: "<img src=x onerror=\\"window.__xss='proposed'\\">"
confidence: speculative
---

# proposed claim <svg onload=window.__xss=2> arrives on a branch

<script>window.__xss='diff'; alert('diff')</script>
"""


def add_hostile_proposal(root) -> str:
    """An open `extract/*` proposal whose diff, message and verdict carry payloads; its branch."""
    from teleo.repo.branches import propose, tip
    from teleo.repo.discover import open_repository
    from teleo.repo.verdicts import Verdict, store_verdict

    repo = open_repository(root)
    head = propose(
        repo, HOSTILE_BRANCH, tip(repo, "refs/heads/main"), {PROPOSED_CLAIM: PROPOSED_TEXT.encode()},
        f"rio: extract from {HOSTILE_SOURCE} <script>alert('subject')</script>\n\n"
        f"- Source: {HOSTILE_SOURCE}\n- Domain: internet-finance\n",
    )
    store_verdict(repo, Verdict(reviewer="leo", role="evaluator", head=head, branch=HOSTILE_BRANCH,
                                verdict="request_changes", text="<img src=x onerror=\"window.__xss='verdict'\"> no"))
    return HOSTILE_BRANCH
