"""An agent's beliefs in the web UI are the cascade's beliefs (`teleo.notes.beliefs`), and its flags
are read by `cascade.flag_from_note` — one definition of each."""

from __future__ import annotations

from fastapi.testclient import TestClient

from teleo.cascade import DependencyGraph
from teleo.vault import Vault
from teleo.web import create_app


def claim(title: str) -> str:
    return (f"---\ntype: claim\ndomain: energy\ndescription: \"About {title}.\"\nconfidence: likely\n"
            f"source: \"Test\"\ncreated: 2026-01-01\n---\n\n# {title}\n\nBody.\n")


A, B, C, D, E = (f"claim {letter} about storage and the evening peak" for letter in "abcde")
FILE = "agents/mira/beliefs/storage takes the evening peak within a decade.md"
FILES = {
    **{f"domains/energy/{t}.md": claim(t) for t in (A, B, C, D, E)},
    "agents/mira/identity.md": "# Mira\n",
    "agents/mira/beliefs.md": f"""# Mira's Beliefs

Start from [[{E}]] when reading these.

## Active Beliefs

### 1. Storage eats the peak *(keystone — [full file](beliefs/storage%20takes%20the%20evening%20peak%20within%20a%20decade.md))*

**Grounding:**
- [[{A}]]

### 2. Peakers lose money

Some prose citing [[{D}]] in passing.

**Grounding:**
- [[{B}]]

**Disconfirmation target:** [[{C}]] would weaken it.

## Belief Evaluation Protocol

Re-read [[{D}]] every quarter.
""",
    FILE: f"""---
type: belief
agent: mira
description: "Storage takes the evening peak."
confidence: strong
depends_on:
- "[[{C}]]"
---

# storage takes the evening peak within a decade

An aside mentioning [[{E}]].

## Grounding

- [[{D}]]
""",
}


def beliefs(root) -> list[dict]:
    with TestClient(create_app(root, watch=False)) as client:
        return client.get("/api/agents/mira").json()["beliefs"]


def grounded(belief: dict) -> set[str]:
    return {link["title"] for link in belief["grounding"]}


def test_the_web_shows_the_beliefs_and_grounding_the_cascade_walks(make_vault):
    vault = make_vault(FILES)
    shown = beliefs(vault.root)
    assert [(b["note"]["path"], b["note"]["title"]) for b in shown] == [
        (FILE, "storage takes the evening peak within a decade"),  # section 1 stands for its full file: once
        ("agents/mira/beliefs.md", "2. Peakers lose money"),
    ]  # no "Belief Evaluation Protocol", no "Active Beliefs"
    assert grounded(shown[0]) == {C, D, A}  # depends_on, ## Grounding, and the section's **Grounding:** — not the aside
    assert grounded(shown[1]) == {B}  # not the prose, not the disconfirmation target

    graph = DependencyGraph.build(Vault.open(vault.root))
    rests_on = {key: {dep for dep, nodes in graph.dependents.items() if key in nodes} for key in graph.targets}
    assert set(rests_on) == {FILE, "agents/mira/beliefs.md#2"}
    assert {p.rsplit("/", 1)[-1][:-3] for p in rests_on[FILE]} == grounded(shown[0])
    assert {p.rsplit("/", 1)[-1][:-3] for p in rests_on["agents/mira/beliefs.md#2"]} == grounded(shown[1])


def test_a_flag_note_that_is_no_valid_flag_is_named_not_guessed(make_vault):
    vault = make_vault({**FILES, "agents/mira/flags/2026-03-10-broken.md": (
        "---\ntype: flag\nid: 2026-03-10-broken\nagent: mira\npriority: urgent\nstatus: open\n"
        f"target: {FILE}\ntarget_kind: belief\nchanged: []\nwhy: x\nwhen: 2026-03-10\ncommit: abc\n---\n\n# Flag\n")})
    with TestClient(create_app(vault.root, watch=False)) as client:
        page = client.get("/api/agents/mira").json()
        assert page["flags"] == []  # the hand parser showed it as a "normal" flag
        assert "2026-03-10-broken.md:5" in page["flags_note"] and "priority" in page["flags_note"]
        assert "not valid flags" in client.get("/agents/mira").text
