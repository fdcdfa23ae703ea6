"""The contributor pages: a person's claims, challenges, sources and score, every value escaped."""

from __future__ import annotations

import shutil
import os
import subprocess

import pytest
from fastapi.testclient import TestClient

from conftest import GIT_IDENTITY, SAMPLE_VAULT, git_init
from teleo.contrib import ChallengeDraft, ClaimDraft, Contribution, SourceDraft, contribute
from teleo.vault import Vault
from teleo.web import create_app

BP = ("remote blood pressure monitoring lowers cardiovascular events through faster medication titration rather "
      "than through patient awareness")
TITLE = "weekly pharmacist calls keep more patients on GLP-1 drugs than app reminders do"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
HOSTILE_CLAIM = "domains/health/home visits after discharge cut readmissions for frail patients.md"


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_IDENTITY}).stdout.strip()  # commits need an identity


@pytest.fixture
def contributed(tmp_path):
    root = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, root)
    # a claim written by hand whose attribution carries markup: untrusted text from a file
    (root / HOSTILE_CLAIM).write_text(
        "---\ntype: claim\ndomain: health\ndescription: \"Nurse visits in the first week after discharge catch "
        "medication errors early.\"\nconfidence: experimental\nsource: \"alice, original analysis\"\ncreated: 2026-11-02\n"
        f"attribution:\n  sourcer:\n    - handle: alice\n      context: \"{HOSTILE}\"\n      date: 2026-11-02\n---\n\n"
        "# home visits after discharge cut readmissions for frail patients\n\nNurses find the pill-box errors.\n",
        encoding="utf-8")
    git_init(root)
    vault = Vault.open(root)
    made = [
        contribute(vault, Contribution(handle="alice", what="claim", claim=ClaimDraft(
            title=TITLE, domain="health", description="Phone outreach by pharmacists outperformed automated reminders.",
            body="Pharmacists can adjust the dose when side effects start."))),
        contribute(vault, Contribution(handle="alice", what="challenge", challenge=ChallengeDraft(
            target=BP, text="Titration gains may come from selecting motivated patients."))),
        contribute(vault, Contribution(handle="alice", what="source", source=SourceDraft(
            title="A pharmacy persistence study", domain="health", text="Members who got calls stayed on the drug."))),
    ]
    assert [m.status for m in made] == ["proposed"] * 3, [m.findings for m in made]
    for outcome in made[:2]:
        git(root, "merge", "-q", "--no-ff", "-m", f"merge {outcome.branch}", outcome.branch)
    return root, made


def test_a_contributors_page_shows_claims_challenges_sources_and_score(contributed):
    root, made = contributed
    with TestClient(create_app(root, watch=False, sync_interval=0)) as client:
        api = client.get("/api/contributors/alice").json()
        assert {(c["note"]["title"], c["role"]) for c in api["claims"]} == {
            (TITLE, "extractor"), (HOSTILE_CLAIM.rsplit("/", 1)[1][:-3], "sourcer")}
        assert [c["note"]["title"] for c in api["challenges"]] == [BP]
        assert api["sources"] == []  # the source proposal is not merged yet …
        assert [p["branch"] for p in api["proposals"]] == [made[2].branch]  # … it waits among the open ones
        assert api["roles"]["extractor"] == 1 and api["roles"]["challenger"] == 1 and api["roles"]["sourcer"] == 1
        assert api["weighted_score"] == pytest.approx(0.4 + 0.2 + 0.15)

        html = client.get("/contributors/alice").text
        assert 'data-page="contributor"' in html and "<h1>alice</h1>" in html
        assert TITLE in html and BP in html and "0.75" in html
        assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html

        listing = client.get("/contributors").text
        assert 'href="/contributors/alice"' in listing
        assert client.get("/api/contributors").json()["contributors"][0]["handle"] == "alice"

        git(root, "merge", "-q", "--no-ff", "-m", "merge source", made[2].branch)
        assert [s["path"] for s in client.get("/api/contributors/alice").json()["sources"]] == made[2].files


def test_an_unknown_or_hostile_handle_is_a_404_with_the_name_escaped(contributed):
    root, _ = contributed
    with TestClient(create_app(root, watch=False)) as client:
        response = client.get("/contributors/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        assert response.status_code == 404 and "<script>alert(1)" not in response.text
        assert client.get("/api/contributors/nobody").status_code == 404
