"""`teleo contribute` (issue 15.2): a person's claim, challenge or source as a `contrib/<handle>/<slug>`
proposal — gated before anything is written, reviewed by the domain's agent and the evaluator,
merged like any proposal, the person credited in the claim's attribution and in contributors.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLE_VAULT, git_init, teleo_command
from teleo.contrib import ChallengeDraft, ClaimDraft, Contribution, ContributionRefused, SourceDraft, contribute
from teleo.notes import read_note
from teleo.repo.agents import BadHandle, normalise_handle
from teleo.repo.branches import tip, update_branch, write_commit
from teleo.repo.discover import open_repository
from teleo.repo.kinds import CONTRIB, kind_of
from teleo.review import load_view
from teleo.review.gates import run_gates
from teleo.vault import Vault

TODAY = "2026-12-06"
BP = ("remote blood pressure monitoring lowers cardiovascular events through faster medication titration rather "
      "than through patient awareness")
BP_PATH = f"domains/health/{BP}.md"
NEW_TITLE = "weekly pharmacist calls keep more patients on GLP-1 drugs than app reminders do"
NEW_PATH = f"domains/health/{NEW_TITLE}.md"
DESCRIPTION = "Phone outreach by pharmacists outperformed automated reminders for persistence in two employer plans."
BODY = ("In two employer programmes pharmacist calls kept more members filling at twelve months than app nudges, "
        "because a person can adjust the dose when side effects start.")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def teleo(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*teleo_command(), "--vault", str(root), *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "300"})


@pytest.fixture
def vault(tmp_path) -> Vault:
    root = tmp_path / "vault"
    shutil.copytree(SAMPLE_VAULT, root)
    git_init(root)
    return Vault.open(root)


def refs(root: Path) -> str:
    return git(root, "for-each-ref", "--format=%(refname) %(objectname)")


# -- handles ------------------------------------------------------------------------------------


def test_a_handle_is_held_to_a_plain_form_and_never_an_agents_name():
    assert normalise_handle("@Alice") == "alice"
    assert normalise_handle(" j.doe ") == "j.doe"
    for bad in ("", "a b", "../x", "x/y", "a..b", "x.lock", "-x", "é" * 3, "a" * 40, "a\nContributor: mallory",
                "ann;rm -rf"):
        with pytest.raises(BadHandle):
            normalise_handle(bad)
    for taken in ("leo", "Vida", "auto-fix", "gates"):
        with pytest.raises(BadHandle):
            normalise_handle(taken, agents=["leo", "vida"])


def test_the_contrib_kind_owns_its_branches():
    assert kind_of("contrib/alice/some-claim") is CONTRIB
    assert CONTRIB.branch_name(handle="alice", slug="a b/c") == "contrib/alice/a-b-c"
    assert CONTRIB.agent_of("contrib: propose claim — x") is None


# -- the library ------------------------------------------------------------------------------


def test_a_claim_is_proposed_with_attribution_trailer_and_its_reviewers(vault):
    main = git(vault.root, "rev-parse", "main")
    outcome = contribute(vault, Contribution(handle="@Alice", what="claim", claim=ClaimDraft(
        title=NEW_TITLE, domain="health", description=DESCRIPTION, body=BODY, related=[BP])), today=TODAY)
    assert outcome.status == "proposed", outcome.findings
    assert outcome.branch == "contrib/alice/weekly-pharmacist-calls-keep-more-patients-on-glp-1-drugs"
    assert outcome.files == [NEW_PATH] and outcome.reviewers == ["leo", "vida"]
    message = git(vault.root, "log", "-1", "--format=%B", outcome.branch)
    assert message.startswith(f"contrib: propose claim \u2014 {NEW_TITLE}\n")
    assert message.rstrip().endswith("Contributor: alice") and "Pentagon-Agent" not in message
    text = git(vault.root, "show", f"{outcome.branch}:{NEW_PATH}")
    assert "attribution:\n  extractor:\n  - handle: alice\n" in text and "source: alice, original analysis" in text
    assert f"- [[{BP}]]" in text
    assert git(vault.root, "rev-parse", "main") == main and git(vault.root, "status", "--porcelain") == ""
    again = contribute(vault, Contribution(handle="alice", what="claim", claim=ClaimDraft(
        title=NEW_TITLE, domain="health", description=DESCRIPTION, body=BODY, related=[BP])), today=TODAY)
    assert again.status == "already proposed" and again.branch == outcome.branch and again.commit == outcome.commit


def test_a_failing_draft_comes_back_with_findings_and_writes_nothing(vault):
    before = refs(vault.root)
    objects = git(vault.root, "count-objects", "-v")
    outcome = contribute(vault, Contribution(handle="carol", what="claim", claim=ClaimDraft(
        title="hospital at home programmes cut readmissions for heart failure patients", domain="health",
        description="hospital at home programmes cut readmissions for heart failure patients",
        related=["a note nobody wrote"])), today=TODAY)
    assert outcome.status == "refused" and outcome.branch is None and outcome.commit is None
    found = {(f.rule, f.field) for f in outcome.findings}
    assert ("claim-quality", "description") in found and ("link-unresolved", None) in found
    assert all(f.file == "domains/health/hospital at home programmes cut readmissions for heart failure patients.md"
               and f.line for f in outcome.findings)
    assert refs(vault.root) == before and git(vault.root, "count-objects", "-v") == objects
    assert git(vault.root, "status", "--porcelain") == ""


def test_bad_input_is_refused_before_any_draft(vault):
    cases = [
        Contribution(handle="leo", what="claim", claim=ClaimDraft(title=NEW_TITLE, domain="health", description=DESCRIPTION)),
        Contribution(handle="al ice", what="claim", claim=ClaimDraft(title=NEW_TITLE, domain="health", description=DESCRIPTION)),
        Contribution(handle="alice", what="claim", claim=ClaimDraft(title=NEW_TITLE, domain="astrology", description=DESCRIPTION)),
        Contribution(handle="alice", what="claim", claim=ClaimDraft(title="../../etc/passwd", domain="health", description=DESCRIPTION)),
        Contribution(handle="alice", what="challenge", challenge=ChallengeDraft(target="no such claim at all", text="x")),
        Contribution(handle="alice", what="challenge", challenge=ChallengeDraft(target="inbox/archive", text="x")),
        Contribution(handle="alice", what="challenge", challenge=ChallengeDraft(target=BP, text="   ")),
    ]
    before = refs(vault.root)
    for case in cases:
        try:
            outcome = contribute(vault, case, today=TODAY)
        except ContributionRefused:
            continue
        assert outcome.status == "refused", case  # a title made safe may still fail the gates
        assert all(not f.file.startswith("..") for f in outcome.findings)
    assert refs(vault.root) == before


def test_a_title_cannot_lead_outside_the_domain_folder(vault):
    outcome = contribute(vault, Contribution(handle="alice", what="claim", claim=ClaimDraft(
        title="../../../agents/leo/identity pharmacist outreach beats reminders for GLP-1 persistence",
        domain="health", description=DESCRIPTION, body=BODY)), today=TODAY)
    assert all(path.startswith("domains/health/") and "/" not in path[len("domains/health/"):] for path in outcome.files)


def test_a_challenge_adds_challenged_by_attribution_and_a_challenges_paragraph(vault):
    outcome = contribute(vault, Contribution(handle="bob", what="challenge", challenge=ChallengeDraft(
        target=BP, text="Titration gains may come from selecting motivated patients [[x]] <script>alert(1)</script>.")),
        today=TODAY)
    assert outcome.status == "proposed", outcome.findings
    assert outcome.files == [BP_PATH] and outcome.subject.startswith("contrib: challenge \u2014 ")
    before = (vault.root / BP_PATH).read_text(encoding="utf-8")
    after = git(vault.root, "show", f"{outcome.branch}:{BP_PATH}") + "\n"
    assert "challenged_by:" in after and "bob (2026-12-06): Titration gains" in after
    assert "  challenger:\n  - handle: bob\n" in after
    assert "## Challenges" in after and "**bob** (2026-12-06): Titration gains" in after
    assert "<script>" not in after and "[[x]]" not in after  # a person's text stays data
    body_before = before.split("\n---\n", 1)[1]
    kept = [line for line in body_before.splitlines() if line.strip()]
    assert all(line in after for line in kept)  # nothing of the original removed


def test_a_counter_claim_links_to_the_original_and_leaves_it_alone(vault):
    outcome = contribute(vault, Contribution(handle="bob", what="challenge", challenge=ChallengeDraft(
        target=BP, counter=ClaimDraft(
            title="blood pressure telemonitoring works mostly through patient engagement rather than titration",
            description="Engaged patients take their pills more reliably, which explains much of the measured benefit.",
            body="Adherence rises when patients see their own readings."))), today=TODAY)
    assert outcome.status == "proposed", outcome.findings
    (path,) = outcome.files
    assert path != BP_PATH and path.startswith("domains/health/")
    text = git(vault.root, "show", f"{outcome.branch}:{path}")
    assert f"This challenges [[{BP}]]." in text and "  challenger:\n  - handle: bob\n" in text


def test_a_source_is_archived_unprocessed_with_its_contributor(vault):
    outcome = contribute(vault, Contribution(handle="dan", what="source", source=SourceDraft(
        title="A pharmacy persistence study", domain="health", text="Members who got calls stayed on the drug.")),
        today=TODAY)
    assert outcome.status == "proposed", outcome.findings
    assert outcome.files == ["inbox/archive/2026-12-06-dan-a-pharmacy-persistence-study.md"]
    text = git(vault.root, "show", f"{outcome.branch}:{outcome.files[0]}")
    assert "status: unprocessed" in text and "contributor: dan" in text
    git(vault.root, "merge", "-q", "--ff-only", outcome.branch)  # once on main, the same text is a duplicate
    with pytest.raises(ContributionRefused, match="archives this source already"):
        contribute(Vault.open(vault.root), Contribution(handle="erin", what="source", source=SourceDraft(
            title="Same text", domain="health", text="Members who got calls stayed on the drug.")), today=TODAY)


# -- the gates of the kind ----------------------------------------------------------------------


def hand_made(vault: Vault, branch: str, files: dict[str, str], message: str) -> list:
    repo = open_repository(vault.root)
    commit = write_commit(repo, tip(repo, "refs/heads/main"), {p: t.encode() for p, t in files.items()}, message)
    update_branch(repo, branch, commit, None)
    return run_gates(load_view(vault, branch))


def test_a_contribution_that_rewrites_or_strays_is_blocked(vault):
    original = (vault.root / BP_PATH).read_text(encoding="utf-8")
    rewritten = original.replace("confidence: likely", "confidence: proven").replace(
        "Home blood pressure", "Clinic blood pressure")
    message = "contrib: challenge \u2014 x\n\n- Contributor: mallory\n\nContributor: mallory\n"
    found = hand_made(vault, "contrib/mallory/rewrite", {BP_PATH: rewritten,
                                                         "agents/leo/identity.md": "# me now\n"}, message)
    messages = [f.message for f in found if f.criterion == "kind-scope"]
    assert any("not confidence" in m for m in messages)
    assert any("agents/leo/identity.md" in m for m in messages)


def test_a_contribution_commit_needs_its_contributor_trailer(vault):
    text = (vault.root / BP_PATH).read_text(encoding="utf-8")
    found = hand_made(vault, "contrib/mallory/no-trailer", {BP_PATH: text + "\n"}, "contrib: challenge \u2014 x\n")
    assert any(f.criterion == "commit-convention" and "Contributor" in f.message for f in found)
    found = hand_made(vault, "contrib/mallory/wrong", {BP_PATH: text + "\n"},
                      "contrib: challenge \u2014 x\n\nContributor: alice\n")
    assert any(f.criterion == "commit-convention" and "mallory" in f.message for f in found)


# -- the command line, end to end -------------------------------------------------------------


@pytest.mark.slow
def test_contribute_review_merge_attribution_and_contributors_on_the_real_command_line(vault):
    root = vault.root
    (root / "schemas" / "contribution-weights.yaml").write_text(
        "role_weights:\n  sourcer: 0.1\n  extractor: 0.5\n  challenger: 0.3\n  synthesizer: 0.05\n  reviewer: 0.05\n",
        encoding="utf-8")
    git(root, "add", "-A")
    git(root, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "weights")

    failed = teleo(root, "contribute", "claim", "--as", "carol", "--domain", "health", "--title",
                   "hospital at home programmes cut readmissions for heart failure patients", "--description",
                   "hospital at home programmes cut readmissions for heart failure patients", "--format", "json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    refused = json.loads(failed.stdout)
    assert refused["status"] == "refused" and refused["branch"] is None
    assert {"file", "line", "field", "rule", "message"} <= set(refused["findings"][0])
    assert "contrib/carol" not in git(root, "branch", "--list")

    made = teleo(root, "contribute", "claim", "--as", "alice", "--domain", "health", "--title", NEW_TITLE,
                 "--description", DESCRIPTION, "--body", BODY, "--related", BP, "--format", "json")
    assert made.returncode == 0, made.stdout + made.stderr
    claim = json.loads(made.stdout)
    assert claim["reviewers"] == ["leo", "vida"]
    challenged = teleo(root, "contribute", "challenge", BP, "--as", "bob", "--text",
                       "Titration gains may come from selecting motivated patients.")
    assert challenged.returncode == 0, challenged.stdout + challenged.stderr
    assert "contrib/bob/" in challenged.stdout and "reviewers  leo, vida" in challenged.stdout
    trailer = git(root, "log", "-1", "--format=%(trailers:key=Contributor,valueonly)", claim["branch"])
    assert trailer.strip() == "alice"

    listed = json.loads(teleo(root, "proposals", "--format", "json").stdout)["proposals"]
    assert {p["kind"] for p in listed} == {"contrib"} and {p["contributor"] for p in listed} == {"alice", "bob"}
    assert "alice (person)" in teleo(root, "proposals").stdout
    reviewed = teleo(root, "review", "--format", "json")
    assert reviewed.returncode == 0, reviewed.stdout + reviewed.stderr
    outcomes = {o["branch"]: o for o in json.loads(reviewed.stdout)["reviews"]}
    assert {o["status"] for o in outcomes.values()} == {"approved"}
    assert {v["reviewer"] for v in outcomes[claim["branch"]]["verdicts"]} == {"gates", "leo", "vida"}
    merged = teleo(root, "merge")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "2 merged" in merged.stdout and git(root, "status", "--porcelain") == ""

    note = read_note(root, NEW_PATH)
    (entry,) = note.data["attribution"]["extractor"]
    assert entry["handle"] == "alice" and entry["context"] == "teleo contribute" and list(note.data["attribution"]) == ["extractor"]
    original = read_note(root, BP_PATH)
    assert original.data["challenged_by"][-1].startswith("bob (")
    assert "## Challenges" in original.doc.body and "**bob**" in original.doc.body
    assert original.data["attribution"]["challenger"][0]["handle"] == "bob"

    people = json.loads(teleo(root, "contributors", "--format", "json").stdout)
    assert people["weights_source"] == "schemas/contribution-weights.yaml"
    by_handle = {p["handle"]: p for p in people["contributors"]}
    assert by_handle["alice"]["roles"]["extractor"] == 1 and by_handle["alice"]["roles"]["sourcer"] == 0
    assert by_handle["alice"]["weighted_score"] == 0.5 and by_handle["alice"]["domains"] == {"health": 1}
    assert by_handle["bob"]["roles"]["challenger"] == 1 and by_handle["bob"]["weighted_score"] == 0.3
    shown = teleo(root, "contributors")
    assert shown.returncode == 0 and "alice" in shown.stdout and "bob" in shown.stdout
    assert not (root / "contributors.json").exists()  # derived on demand, never stored in the vault


def test_a_contributed_source_credits_its_person_as_sourcer_of_the_claims_extracted_from_it(vault):
    from teleo.export import contributors_document

    source = "inbox/archive/2026-12-01-dan-telemonitoring-notes.md"
    (vault.root / source).write_text(
        "---\ntype: source\ntitle: Telemonitoring notes\nauthor: dan\nurl: local:contrib/dan\ndate: 2026-12-01\n"
        f"domain: health\nformat: essay\nstatus: processed\ncontributor: dan\nclaims_extracted:\n  - \"{BP}\"\n"
        "---\n\n## Content\n\nNotes.\n", encoding="utf-8")
    document, problems = contributors_document(Vault.open(vault.root), history=False)
    dan = next(p for p in document["contributors"] if p["handle"] == "dan")
    assert problems == [] and document["weights_source"] == "defaults"
    assert dan["roles"]["sourcer"] == 1 and dan["weighted_score"] == 0.15 and dan["claim_count"] == 1


def test_a_challenge_of_a_flawed_claim_is_not_held_to_the_claims_old_errors(vault):
    from teleo.review import review

    glp1 = "GLP-1 adherence falls steeply after the first year which limits the population savings from obesity drugs"
    outcome = contribute(vault, Contribution(handle="bob", what="challenge", challenge=ChallengeDraft(
        target=glp1, text="Cash-pay and compounded fills are missing from pharmacy claims.")), today=TODAY)
    assert outcome.status == "proposed", outcome.findings
    reviewed = review(vault, outcome.branch)
    assert reviewed.status == "approved", reviewed.message
    advice = [f for v in reviewed.verdicts for f in v.findings if "already on main" in f.message]
    assert advice and all(f.severity == "advice" for f in advice)
