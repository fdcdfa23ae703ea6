"""`teleo mcp` write tools in process: proposals through the library's gates, verdicts, flags, sources.

Every write must leave `main` where it was (a flag resolution is a proposal branch too; ingest_source only
drops the source in inbox/queue/), respect territory, refuse self-review and name what it refused.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import GIT_IDENTITY, teleo_command
from mcp_helpers import MARKETS_PATH, THESEUS_BELIEF, call, error_text, flag_note, git_sample
from teleo.mcp.server import build_server
from teleo.mcp.tools import VaultTools
from teleo.vault import Vault

SOURCE = "inbox/archive/2026-03-10-moreau-deployer-incentives-field-study.md"
QUOTE = ("Products paid by engagement time produced roughly three times as many complaints about manipulative "
         "or flattering answers as products paid by subscription")
CLAIM = {
    "title": "products paid by engagement time draw about three times the manipulation complaints of subscription "
             "products on the same model",
    "description": "Twelve companies on one licensed base model showed the payment model, not the weights, "
                   "predicting complaints about flattering answers.",
    "confidence": "experimental",
    "body": "The field study compares products built on the same weights with the same safety tuning.",
    "evidence": [{"text": QUOTE}],
}
EXISTING = "model-level alignment is insufficient for beneficial outcomes because deployment incentives decide which model behaviours get used"
FINANCE = "prediction markets aggregate dispersed information better than expert panels when traders have skin in the game"
FLAG = "2026-03-10-alignment-has"


def git(root, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_IDENTITY}).stdout.strip()  # commits need an identity


@pytest.fixture
def vault_root(tmp_path):
    flag = flag_note(FLAG, "theseus", THESEUS_BELIEF, f"domains/ai-alignment/{EXISTING}.md")
    return git_sample(tmp_path / "vault", {f"agents/theseus/flags/{FLAG}.md": flag})


def server_for(root, agent=None):
    return build_server(VaultTools(Vault.open(root), agent=agent, watch=False))


@pytest.fixture
def server(vault_root):
    return server_for(vault_root)


def test_propose_claim_makes_a_proposal_branch_and_leaves_main_and_the_files_alone(server, vault_root):
    main_before, status_before = git(vault_root, "rev-parse", "main"), git(vault_root, "status", "--porcelain")
    result = call(server, "propose_claim", {"source": SOURCE, "claims": [CLAIM], "agent": "theseus"})
    assert not result.is_error, result.content
    made = result.structured_content
    assert made["branch"] == "extract/2026-03-10-moreau-deployer-incentives-field-study" and made["agent"] == "theseus"
    assert f"domains/ai-alignment/{CLAIM['title']}.md" in made["files"] and SOURCE in made["files"]
    assert git(vault_root, "rev-parse", "main") == main_before and git(vault_root, "status", "--porcelain") == status_before
    assert git(vault_root, "rev-parse", made["branch"]) == made["commit"]
    claim_text = git(vault_root, "show", f"{made['commit']}:domains/ai-alignment/{CLAIM['title']}.md")
    assert QUOTE in claim_text and "Pentagon-Agent: Theseus" in git(vault_root, "log", "-1", "--format=%B", made["branch"])
    listed = call(server, "list_proposals", {"agent": "theseus"}).structured_content["proposals"]
    assert [p["branch"] for p in listed] == [made["branch"]]


def test_propose_claim_refuses_outside_territory(server):
    message = error_text(call(server, "propose_claim", {"source": SOURCE, "claims": [CLAIM], "agent": "rio"}))
    assert "owned by theseus" in message and "rio may not make it" in message and "territory" in message


def test_propose_claim_refuses_an_ungrounded_quote_naming_the_claim_and_quote(server, vault_root):
    bad = {**CLAIM, "evidence": [{"text": "every product ran a different model with its own safety tuning"}]}
    message = error_text(call(server, "propose_claim", {"source": SOURCE, "claims": [bad], "agent": "theseus"}))
    assert "evidence quote not found in the source" in message and CLAIM["title"] in message
    assert "extract/" not in git(vault_root, "branch", "--list", "extract/*")


def test_propose_claim_refuses_an_invalid_draft_naming_the_field(server):
    short = {**CLAIM, "title": "too short"}
    message = error_text(call(server, "propose_claim", {"source": SOURCE, "claims": [short], "agent": "theseus"}))
    assert "claims.0.title" in message
    no_quote = {**CLAIM, "evidence": []}
    assert "claims.0.evidence" in error_text(call(server, "propose_claim", {"source": SOURCE, "claims": [no_quote],
                                                                             "agent": "theseus"}))


def test_propose_claim_refuses_an_unknown_source_and_a_note_that_is_no_source(server):
    assert "no note titled 'no such source anywhere'" in error_text(
        call(server, "propose_claim", {"source": "no such source anywhere", "claims": [CLAIM], "agent": "theseus"}))
    assert "is a claim, not a source" in error_text(
        call(server, "propose_claim", {"source": EXISTING, "claims": [CLAIM], "agent": "theseus"}))


def test_a_source_with_an_open_proposal_is_refused_until_it_merges(server):
    assert not call(server, "propose_claim", {"source": SOURCE, "claims": [CLAIM], "agent": "theseus"}).is_error
    message = error_text(call(server, "propose_claim", {"source": SOURCE, "claims": [CLAIM], "agent": "theseus"}))
    assert "has an open proposal on extract/2026-03-10-moreau" in message


def test_enrich_and_challenge_append_blocks_to_an_existing_claim_through_a_proposal(vault_root):
    server = server_for(vault_root, agent="theseus")
    result = call(server, "challenge_claim", {
        "source": SOURCE, "claim": EXISTING, "quote": "twelve companies is a small sample",
        "evidence": "The study's own authors warn that twelve self-selected companies cannot settle the question."})
    assert not result.is_error, result.content
    made = result.structured_content
    assert made["enrichments"] == [EXISTING]
    text = git(vault_root, "show", f"{made['commit']}:domains/ai-alignment/{EXISTING}.md")
    assert "twelve companies is a small sample" in text and "challenge" in text.lower()


def test_enrich_claim_refuses_a_claim_outside_the_agents_territory(vault_root):
    server = server_for(vault_root, agent="theseus")
    message = error_text(call(server, "enrich_claim", {
        "source": SOURCE, "claim": FINANCE, "quote": QUOTE, "type": "confirm",
        "evidence": "Payment models shape behaviour across domains, as this field study of deployers shows."}))
    assert "outside theseus's territory" in message


def test_enrich_claim_refuses_an_unknown_target_and_a_too_short_quote(vault_root):
    server = server_for(vault_root, agent="theseus")
    unknown = error_text(call(server, "enrich_claim", {
        "source": SOURCE, "claim": "a claim nobody ever wrote down anywhere", "quote": QUOTE,
        "evidence": "This evidence would extend a claim that does not exist in the vault."}))
    assert "does not resolve to an existing claim" in unknown
    short = error_text(call(server, "enrich_claim", {"source": SOURCE, "claim": EXISTING, "quote": "short",
                                                      "evidence": "This evidence paragraph is long enough to pass."}))
    assert "quote" in short and "at least 8 characters" in short


def test_review_refuses_self_review_and_records_the_evaluators_verdict_on_the_head(server, vault_root):
    made = call(server, "propose_claim", {"source": SOURCE, "claims": [CLAIM], "agent": "theseus"}).structured_content
    branch, head = made["branch"], made["commit"]
    own = error_text(call(server, "review_proposal", {"proposal": branch, "verdict": "approve", "text": "mine",
                                                      "agent": "theseus"}))
    assert "self-review" in own and "theseus proposed" in own
    assert git(vault_root, "for-each-ref", f"refs/teleo/verdicts/{head}/theseus") == ""
    stale = error_text(call(server, "review_proposal", {"proposal": branch, "verdict": "approve", "text": "ok",
                                                        "head": "0123456789ab", "agent": "leo"}))
    assert "moved" in stale
    result = call(server, "review_proposal", {"proposal": branch, "verdict": "approve", "agent": "leo",
                                              "text": "Grounded in the field study; a new claim."})
    assert not result.is_error, result.content
    review = result.structured_content
    assert review["recorded"] == {"reviewer": "leo", "role": "evaluator", "verdict": "approve", "head": head}
    assert git(vault_root, "for-each-ref", "--format=%(refname)", f"refs/teleo/verdicts/{head}/leo") == \
        f"refs/teleo/verdicts/{head}/leo"
    assert "leo" in {v["reviewer"] for v in call(server, "list_proposals", {}).structured_content["proposals"][0]["verdicts"]}


def test_review_of_an_unknown_proposal_is_refused_naming_it(server):
    message = error_text(call(server, "review_proposal", {"proposal": "extract/nothing-here", "verdict": "reject",
                                                          "text": "x", "agent": "leo"}))
    assert "extract/nothing-here" in message


def test_ingest_source_drops_the_source_in_the_queue_without_a_commit_and_teleo_run_archives_it(vault_root):
    server = server_for(vault_root, agent="vida")
    log_before, status_before = git(vault_root, "log", "--format=%H", "main"), git(vault_root, "status", "--porcelain")
    queued_before = {p.name for p in (vault_root / "inbox/queue/health").iterdir()}  # the sample's own drops
    text = ("# Night shifts and nurse retention\n\nHospitals that capped consecutive night shifts at three kept "
            "forty percent more of their first-year nurses over two years than hospitals without a cap.\n")
    dropped = call(server, "ingest_source", {"text": text, "title": "Night shifts: nurse retention/../..",
                                             "author": "Jo Park", "date": "2026-04-02", "domain": "health"})
    assert not dropped.is_error, dropped.content
    made = dropped.structured_content
    path = made["path"]
    assert made["status"] == "queued" and made["commit"] is None and "teleo run" in made["next"]
    assert path.startswith("inbox/queue/health/") and path.endswith(".md") and ".." not in path
    assert (vault_root / path).is_file() and "forty percent more" in (vault_root / path).read_text(encoding="utf-8")
    assert git(vault_root, "log", "--format=%H", "main") == log_before  # nothing committed anywhere on main
    assert git(vault_root, "status", "--porcelain", "--untracked-files=all") == (
        status_before + ("\n" if status_before else "") + f"?? {path}")
    assert {p.name for p in (vault_root / "inbox/queue/health").iterdir()} - queued_before == {path.rsplit("/", 1)[1]}

    run = subprocess.run([*teleo_command(), "--vault", str(vault_root), "run", "--until", "extract",
                          "--provider", "offline", "--format", "json"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    ingested = json.loads(run.stdout)["ingested"]
    mine = [i for i in ingested if i["input"] == path]
    assert [i["status"] for i in mine] == ["archived"], run.stdout + run.stderr
    archived = mine[0]["path"]
    assert archived.startswith("inbox/archive/2026-04-02-park-") and not (vault_root / path).exists()
    assert f"- From: {path}" in git(vault_root, "log", "--format=%B", "main")  # its own ingest commit
    note = git(vault_root, "show", f"main:{archived}")
    assert "title: 'Night shifts: nurse retention/../..'" in note and "domain: health" in note


def test_ingest_source_refuses_a_domain_outside_the_agents_territory(vault_root):
    status_before = git(vault_root, "status", "--porcelain", "--untracked-files=all")
    message = error_text(call(server_for(vault_root, agent="rio"), "ingest_source",
                              {"text": "Hospitals that capped night shifts kept more nurses.", "domain": "health"}))
    assert "owned by vida" in message and "rio" in message
    assert git(vault_root, "status", "--porcelain", "--untracked-files=all") == status_before  # nothing written


def test_ingest_source_refuses_a_file_outside_the_vault_and_needs_one_input(vault_root, tmp_path):
    server = server_for(vault_root, agent="vida")
    outside = tmp_path / "secret.txt"
    outside.write_text("nothing to see", encoding="utf-8")
    assert "outside the vault" in error_text(call(server, "ingest_source", {"path": str(outside)}))
    assert "outside the vault" in error_text(call(server, "ingest_source", {"path": "../secret.txt"}))
    (vault_root / "notes.txt").write_text("Night caps kept nurses.\n", encoding="utf-8")
    queued = call(server, "ingest_source", {"path": "notes.txt", "title": "Caps", "domain": "health"})
    assert queued.structured_content["path"] == "inbox/queue/health/caps.md", queued.content
    assert (vault_root / "notes.txt").is_file()  # copied, the file itself left where it was
    assert "exactly one of text, path" in error_text(call(server, "ingest_source", {}))
    assert "domain" in error_text(call(server, "ingest_source", {"text": "some text here", "domain": "astrology"}))


def under_review(root) -> None:
    """The flag's belief as the cascade leaves it: `status: under_review`, committed on main."""
    path = root / THESEUS_BELIEF
    path.write_text(path.read_text(encoding="utf-8").replace("status: active", "status: under_review"), encoding="utf-8")
    git(root, "commit", "-qam", "cascade: theseus belief under review")


def flag_status(root, flag: str = FLAG) -> str:
    flags = call(server_for(root), "list_flags", {"include_resolved": True}).structured_content["flags"]
    return next(f["status"] for f in flags if f["id"] == flag)


def test_resolve_flag_makes_a_proposal_branch_and_leaves_main_and_the_files_alone(vault_root):
    under_review(vault_root)
    main_before, status_before = git(vault_root, "rev-parse", "main"), git(vault_root, "status", "--porcelain")
    server = server_for(vault_root, agent="theseus")
    result = call(server, "resolve_flag", {"flag": FLAG, "note": "re-read: the belief still holds"})
    assert not result.is_error, result.content
    made = result.structured_content
    assert made["status"] == "proposed" and made["branch"] == f"flags/theseus/{FLAG}"
    assert git(vault_root, "rev-parse", "main") == main_before  # main's tip unchanged
    assert git(vault_root, "status", "--porcelain") == status_before
    assert git(vault_root, "rev-parse", made["branch"]) == made["commit"]
    assert sorted(made["files"]) == sorted([f"agents/theseus/flags/{FLAG}.md", THESEUS_BELIEF])
    message = git(vault_root, "log", "-1", "--format=%B", made["branch"])
    assert message.startswith(f"theseus: resolve flag {FLAG}\n") and "Pentagon-Agent: Theseus" in message
    assert f"Teleo-Flag: {FLAG}" in message
    flag_text = git(vault_root, "show", f"{made['commit']}:agents/theseus/flags/{FLAG}.md")
    assert "status: resolved" in flag_text and "resolution: 're-read: the belief still holds'" in flag_text
    assert "status: active" in git(vault_root, "show", f"{made['commit']}:{THESEUS_BELIEF}")
    assert flag_status(vault_root) == "open"  # open until the resolution is merged
    shown = call(server, "list_flags", {}).structured_content["flags"]
    assert [(f["id"], f.get("proposal")) for f in shown] == [(FLAG, made["branch"])]
    listed = call(server, "list_proposals", {"agent": "theseus"}).structured_content["proposals"]
    assert [(p["branch"], p["kind"]) for p in listed] == [(made["branch"], "flags")]
    again = call(server, "resolve_flag", {"flag": FLAG})  # a retry: the same branch, nothing new
    assert not again.is_error and again.structured_content["branch"] == made["branch"]
    assert again.structured_content["status"] == "already proposed"
    assert git(vault_root, "rev-parse", made["branch"]) == made["commit"]
    assert git(vault_root, "rev-parse", "main") == main_before
    other = error_text(call(server, "resolve_flag", {"flag": FLAG, "status": "abandoned"}))
    assert made["branch"] in other and "active" in other


def test_a_flag_resolution_merges_after_the_evaluators_review_and_the_flag_is_resolved(vault_root):
    under_review(vault_root)
    made = call(server_for(vault_root, agent="theseus"), "resolve_flag",
                {"flag": FLAG, "note": "still holds"}).structured_content
    branch, head = made["branch"], made["commit"]
    own = error_text(call(server_for(vault_root, agent="theseus"), "review_proposal",
                          {"proposal": branch, "verdict": "approve", "text": "mine"}))
    assert "self-review" in own and "theseus proposed" in own
    reviewed = call(server_for(vault_root, agent="leo"), "review_proposal",
                    {"proposal": branch, "head": head, "verdict": "approve", "text": "The re-reading is recorded."})
    assert not reviewed.is_error, reviewed.content
    assert reviewed.structured_content["status"] == "approved" and reviewed.structured_content["required"] == ["leo"]
    merged = subprocess.run([*teleo_command(), "--vault", str(vault_root), "merge", "--format", "json"],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert [m["branch"] for m in json.loads(merged.stdout)["merges"] if m["status"] == "merged"] == [branch]
    tip = git(vault_root, "log", "-1", "--format=%B", "main")  # the merge, and no cascade after it (nothing revised)
    assert tip.startswith(f"Merge pull request 'theseus: resolve flag {FLAG}' from {branch}") and \
        f"Teleo-Proposal: {branch}" in tip
    assert git(vault_root, "branch", "--list", branch) == ""  # merged branches are deleted
    assert flag_status(vault_root) == "resolved"
    cli = subprocess.run([*teleo_command(), "--vault", str(vault_root), "flags", "--all", "--format", "json"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    shown = next(f for f in json.loads(cli.stdout)["flags"] if f["id"] == FLAG)
    assert shown["status"] == "resolved" and shown["resolution"] == "still holds"
    assert "status: active" in git(vault_root, "show", f"main:{THESEUS_BELIEF}")
    done = call(server_for(vault_root, agent="theseus"), "resolve_flag", {"flag": FLAG})
    assert done.structured_content["status"] == "already resolved" and done.structured_content["branch"] is None


def test_resolve_flag_refuses_an_unknown_flag_someone_elses_and_one_outside_the_territory(vault_root):
    outside = "2026-03-11-markets-aggregate"
    (vault_root / f"agents/theseus/flags/{outside}.md").write_text(
        flag_note(outside, "theseus", MARKETS_PATH, f"domains/ai-alignment/{EXISTING}.md"), encoding="utf-8")
    git(vault_root, "add", "-A")
    git(vault_root, "commit", "-qm", "a flag pointing into rio's domain")
    main_before = git(vault_root, "rev-parse", "main")
    theseus = server_for(vault_root, agent="theseus")
    assert "names no flag" in error_text(call(theseus, "resolve_flag", {"flag": "1999-"}))
    other = error_text(call(server_for(vault_root, agent="rio"), "resolve_flag", {"flag": FLAG}))
    assert "theseus's" in other and "only theseus resolves it" in other
    territory = error_text(call(theseus, "resolve_flag", {"flag": outside}))
    assert MARKETS_PATH in territory and "territory" in territory
    assert git(vault_root, "branch", "--list", "flags/*") == ""  # no branch made
    assert git(vault_root, "rev-parse", "main") == main_before


def test_the_session_agent_is_checked_against_the_vaults_agents(vault_root):
    as_theseus = server_for(vault_root, agent="theseus")
    assert "acts as theseus" in error_text(call(as_theseus, "propose_claim", {"source": SOURCE, "claims": [CLAIM],
                                                                               "agent": "leo"}))
    nobody = server_for(vault_root)
    assert "no agent" in error_text(call(nobody, "propose_claim", {"source": SOURCE, "claims": [CLAIM]}))
    assert "unknown agent 'mallory'" in error_text(call(nobody, "propose_claim", {"source": SOURCE, "claims": [CLAIM],
                                                                                  "agent": "mallory"}))
    from teleo.mcp.tools import Refusal

    with pytest.raises(Refusal, match="theseus"):
        VaultTools(Vault.open(vault_root), agent="mallory", watch=False)


def test_write_tools_are_listed_with_descriptions_and_not_read_only(server):
    from mcp_helpers import with_client

    tools = {t.name: t for t in with_client(server, lambda c: c.list_tools()).tools}
    for name in ("propose_claim", "enrich_claim", "challenge_claim", "ingest_source", "review_proposal", "resolve_flag"):
        assert tools[name].annotations.read_only_hint is False and len(tools[name].description) > 200, name


def test_enrich_claim_appends_evidence_to_a_claim_in_the_agents_territory(vault_root):
    result = call(server_for(vault_root, agent="theseus"), "enrich_claim", {
        "source": SOURCE, "claim": EXISTING, "quote": QUOTE, "type": "confirm",
        "evidence": "Products on identical weights diverged with their payment model, as the claim predicts."})
    assert not result.is_error, result.content
    made = result.structured_content
    assert made["enrichments"] == [EXISTING] and made["claims"] == []
    text = git(vault_root, "show", f"{made['commit']}:domains/ai-alignment/{EXISTING}.md")
    assert "Additional Evidence" in text and QUOTE in text
    assert git(vault_root, "show", f"main:domains/ai-alignment/{EXISTING}.md") not in ("",) and \
        QUOTE not in git(vault_root, "show", f"main:domains/ai-alignment/{EXISTING}.md")


def test_challenge_claim_refuses_an_ungrounded_quote_and_a_claim_outside_territory(vault_root):
    server = server_for(vault_root, agent="theseus")
    ungrounded = error_text(call(server, "challenge_claim", {
        "source": SOURCE, "claim": EXISTING, "quote": "the study found the model weights decided everything",
        "evidence": "If the weights decided everything, deployment incentives would not matter."}))
    assert "quote not found in the source" in ungrounded
    outside = error_text(call(server, "challenge_claim", {
        "source": SOURCE, "claim": FINANCE, "quote": "twelve companies is a small sample",
        "evidence": "A small sample of self-selected companies says little about traders' incentives."}))
    assert "outside theseus's territory" in outside
