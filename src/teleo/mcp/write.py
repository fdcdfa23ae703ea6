"""The write tools of `teleo mcp`: an agent proposes, reviews and resolves — the institution decides.

Every write goes through the library entry point the command line uses, so the same gates apply:

- `propose_claim`, `enrich_claim`, `challenge_claim` hand the agent's draft (the extraction
  contract: `ClaimDraft`, `EnrichmentDraft`) to `pipeline.job.extract_source` as the output of a
  provider — exactly where `teleo extract` puts a model's answer. The job grounds every quote in the
  named source, keeps titles safe, checks territory, runs the lint gate on the proposal's files in
  the tree they will live in, and commits one proposal branch `extract/<source>` by
  compare-and-swap. Nothing is written to `main` or to the working tree. Only the agent owning the
  source's domain proposes from it (the proposal speaks for that agent); a source with an open
  proposal is refused until that one is reviewed and merged.
- `review_proposal` records the agent's own verdict through `review.review` with a reviewer that
  returns it: the deterministic gates run first (a blocking finding means no verdict is recorded),
  the verdict is stored under the agent on the head commit (`refs/teleo/verdicts/<head>/<agent>`),
  a proposer reviewing its own proposal is refused, and no fix-from-feedback round runs.
- `ingest_source` never commits: it writes the source (atomically, under a sanitised name) into the
  drop folder `inbox/queue/<domain>/` of a domain the agent owns; `teleo run` archives it there with
  its own `ingest: archive` commit and extracts it, as any dropped file. So no write tool
  commits to `main` or touches the working tree but that drop folder.
- `resolve_flag` proposes the agent's resolution of one of its own flags
  (`review.flags.propose_resolution`): one commit on `flags/<agent>/<flag-id>` (proposal kind
  `flags`, `teleo.repo.kinds`), main untouched; the evaluator reviews it (`review_proposal`) and
  `teleo merge` lands it, after which the flag is resolved on main. A retry returns the open
  proposal; a flag pointing at a note outside the agent's territory is refused.

On a host whose main follows a shared remote (`[pipeline] remote`), `propose_*`, `enrich_claim`,
`challenge_claim` and `resolve_flag` first bring main to the remote's tip, then push their branch with the
workers' compare-and-swap and, on the postgres backend, enqueue its review (`pipeline.hand_proposals`, as
`teleo contribute` does); the answer says what became of it under `shared_remote`. `review_proposal` stores
its verdict on this clone only.

Over HTTP (`teleo mcp --http`, `/mcp` in `teleo serve`) every write tool needs the write token;
over stdio the person who started the server is the one writing, as with the command line.
"""

from __future__ import annotations

import functools
import hmac
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Mapping, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field, ValidationError

from teleo.contract.extraction import ClaimDraft, EnrichmentDraft, ExtractionResult, Quote, SourceUpdate
from teleo.llm.base import Provider, ProviderResult
from teleo.mcp.errors import refusals_as_tool_errors
from teleo.notes.edit import atomic_write_bytes
from teleo.mcp.tools import Refusal, VaultTools
from teleo.repo.verdicts import ClaimFinding
from teleo.review.reviewer import Reviewer, ReviewAnswer, ReviewRequest

F = TypeVar("F", bound=Callable[..., Any])
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
TOKEN_HEADER = "x-teleo-token"

AgentArg = Annotated[str | None, Field(
    description="The agent you act as (a name from teleo.toml); omit when the server was started with --agent.")]


class DraftProvider(Provider):
    """The agent's draft as the extractor's answer: `extract_source` then does what it does with any."""

    name = "mcp"

    def __init__(self, agent: str, draft: ExtractionResult) -> None:
        self.model = f"agent:{agent}"
        self.draft = draft

    def extract(self, request) -> ProviderResult[ExtractionResult]:
        return ProviderResult[ExtractionResult](output=self.draft, calls=[])


class AgentReviewer(Reviewer):
    """A reviewer whose judgement is already made: the verdict the agent gave the tool."""

    name = "mcp"

    def __init__(self, agent: str, answer: ReviewAnswer) -> None:
        self.model = f"agent:{agent}"
        self.answer = answer

    def review(self, request: ReviewRequest) -> ProviderResult[ReviewAnswer]:
        return ProviderResult[ReviewAnswer](output=self.answer, calls=[])


# -- the write side, without the protocol ---------------------------------------------------


def authorize(tools: VaultTools, headers: Mapping[str, str] | None) -> None:
    """Over HTTP a write needs the token given at start; stdio (no headers) is the local user."""
    if headers is None:
        return
    given = headers.get(TOKEN_HEADER) or headers.get("X-Teleo-Token")
    bearer = headers.get("authorization") or headers.get("Authorization") or ""
    if not given and bearer.startswith("Bearer "):
        given = bearer[7:]
    if not tools.write_token:
        raise Refusal("write tools over HTTP are off: start teleo serve / teleo mcp --http with --write-token "
                      "(or TELEO_WRITE_TOKEN); read tools work without it")
    if not given or not hmac.compare_digest(given.encode(), tools.write_token.encode()):
        raise Refusal("write tools over HTTP need the write token (header X-Teleo-Token or Authorization: Bearer)")


def propose(tools: VaultTools, agent: str, source: str, draft: ExtractionResult) -> dict[str, Any]:
    """Run `extract_source` with `draft` as the extraction, as `agent` (module doc)."""
    from teleo.pipeline.job import extract_source

    problems = draft.problems()
    if problems:
        raise Refusal("invalid draft: " + "; ".join(problems))
    with tools._write_lock:
        path = _source_path(tools, source)
        owner = _owner(tools, path)
        if owner != agent:
            raise Refusal(f"{path} belongs to domain {_domain(tools, path) or '(none)'}, owned by {owner}: a proposal from "
                          f"it speaks for {owner}, so {agent} may not make it (territory: "
                          f"{', '.join(tools.vault.config.territory(agent))})")
        open_branch = next((p for p in tools.list_proposals()["proposals"] if p["source"] == path), None)
        if open_branch is not None:
            raise Refusal(f"{path} has an open proposal on {open_branch['branch']} (head {open_branch['head'][:12]}): "
                          "it must be reviewed and merged before another proposal from this source")
        shared = _follow_shared_main(tools)
        status = _status(tools, path)
        outcome = extract_source(tools.vault, path, provider=DraftProvider(agent, draft),
                                 force=status not in (None, "", "unprocessed"))
        published = _publish(shared, outcome.branch if outcome.status in ("proposed", "null") else None)
    dropped = [d.model_dump() for d in outcome.dropped]
    if outcome.status not in ("proposed", "null"):
        raise Refusal(f"nothing proposed from {path}: {outcome.error}")
    return {"branch": outcome.branch, "commit": outcome.commit, "agent": outcome.agent, "domain": outcome.domain,
            "claims": outcome.claims, "enrichments": outcome.enrichments, "files": outcome.files,
            "dropped": dropped, "next": "the proposal waits for review (review_proposal by the evaluator and peers), "
                                        "then teleo merge", **published}


def _follow_shared_main(tools: VaultTools) -> Any:
    """On a host whose main follows a shared remote (`[pipeline] remote`): main brought to the remote's tip
    before a proposal is made (`pipeline.remote.follow_shared_main`); None otherwise (no pipeline import)."""
    if not tools.vault.config.may_follow_shared_remote():
        return None
    from teleo.pipeline.remote import follow_shared_main
    from teleo.repo.remote import RemoteError

    try:
        return follow_shared_main(tools.vault)
    except (RemoteError, ValueError) as exc:
        raise Refusal(f"nothing written: this clone's main follows the shared remote ([pipeline] remote) and could "
                      f"not be brought up to it: {exc}") from None


def _publish(shared: Any, branch: str | None) -> dict[str, Any]:
    """The proposal pushed to the shared remote and its review enqueued (`pipeline.hand_proposals`), as
    `shared_remote` in the tool's answer (a refused push is said there; the branch stays on this clone)."""
    if shared is None or not branch:
        return {}
    from teleo.pipeline.hand_proposals import publish_proposals

    return {"shared_remote": publish_proposals(shared, [branch], command="teleo mcp").as_json()}


def review_as(tools: VaultTools, agent: str, proposal: str, answer: ReviewAnswer, head: str | None) -> dict[str, Any]:
    from teleo.repo.branches import BranchError
    from teleo.review import ReviewError, SelfReview, review

    branch = proposal.strip().removeprefix("refs/heads/")
    with tools._write_lock:
        if head:
            current = next((p["head"] for p in tools.list_proposals()["proposals"] if p["branch"] == branch), None)
            if current is not None and not current.startswith(head.strip()):
                raise Refusal(f"{branch} moved: its head is now {current[:12]}, not {head[:12]}; read it again "
                              "(list_proposals) before judging it")
        try:
            outcome = review(tools.vault, branch, reviewer=AgentReviewer(agent, answer), reviewers=[agent],
                             max_fixes=0, again=True)
        except SelfReview as exc:
            raise Refusal(f"refused (self-review): {exc}") from None
        except (ReviewError, BranchError) as exc:
            raise Refusal(str(exc)) from None
    mine = next((v for v in outcome.verdicts if v.reviewer == agent), None)
    if mine is None:
        raise Refusal(f"no verdict recorded on {branch}: the gates stopped it first — {outcome.message}")
    return {"branch": outcome.branch, "head": outcome.head, "status": outcome.status,
            "recorded": {"reviewer": mine.reviewer, "role": mine.role, "verdict": mine.verdict, "head": mine.head},
            "verdicts": [{"reviewer": v.reviewer, "role": v.role, "verdict": v.verdict} for v in outcome.verdicts],
            "required": outcome.required, "message": outcome.message}


def ingest_as(tools: VaultTools, agent: str, *, text: str | None, path: str | None, url: str | None,
              domain: str | None, **metadata: str | None) -> dict[str, Any]:
    """Drop the source in `inbox/queue/<domain>/` for `teleo run` to archive: no commit (module doc).

    Text and markdown keep their own frontmatter, with `metadata` (title, author, date, format) set
    over it; a URL is fetched now and written as markdown with its `url`, title, author and date;
    any other file is copied as is (its metadata comes from the file when `teleo run` reads it).
    """
    from teleo.ingest import IngestError, IngestInput
    from teleo.pipeline.run import DROP_SUFFIXES

    given = [name for name, value in (("text", text), ("path", path), ("url", url)) if value]
    if len(given) != 1:
        raise Refusal("give exactly one of text, path (a file inside the vault) and url")
    folder = _drop_folder(tools, agent, domain)
    metadata = {key: value for key, value in metadata.items() if value}
    if text:
        data, suffix, name = _with_metadata(text, metadata), ".md", metadata.get("title") or text
    elif path:
        full = _inside_vault(tools, path)
        suffix = full.suffix.lower()
        if suffix not in DROP_SUFFIXES:
            raise Refusal(f"path: {path} is not one of the kinds teleo run archives ({', '.join(sorted(DROP_SUFFIXES))})")
        raw = full.read_bytes()
        if suffix in (".md", ".markdown", ".txt", ".text"):
            data = _with_metadata(raw.decode("utf-8", errors="replace"), metadata)
            suffix = ".md" if metadata else suffix  # a frontmatter is read from markdown only
        elif metadata:
            raise Refusal(f"path: title, author, date and format are read from a {suffix} file itself; "
                          "give them only with text, markdown or a URL")
        else:
            data = raw
        name = metadata.get("title") or full.stem
    else:
        try:
            source = IngestInput.parse(url or "")
            if source.kind != "url":
                raise Refusal(f"url: '{url}' is not an http(s) URL")
            data, name = _fetched_as_markdown(source.location, metadata), metadata.get("title") or source.location
        except IngestError as exc:
            raise Refusal(f"url: {exc}") from None
        suffix = ".md"
    with tools._write_lock:
        target = _free_name(folder, name, suffix)
        atomic_write_bytes(target, data)
    rel = target.relative_to(tools.vault.root).as_posix()
    return {"status": "queued", "path": rel, "domain": folder.name, "commit": None, "agent": agent,
            "next": f"`teleo run` (or `teleo run --until extract`) archives {rel} in inbox/archive/ with its own "
                    "commit, removes it from the queue and extracts it into a proposal branch; or, once archived, "
                    "propose_claim from it (by the agent owning its domain)"}


def _drop_folder(tools: VaultTools, agent: str, domain: str | None) -> Path:
    """`inbox/queue/<domain>/` for a domain `agent` owns (made if missing, never outside the vault)."""
    from teleo.pipeline.run import DROP_FOLDER
    from teleo.vault import UnsafePath

    config = tools.vault.config
    owned = [name for name in config.domains if config.agent_for_domain(name) == agent]
    if domain is None:
        if len(owned) != 1:
            raise Refusal(f"domain: say which domain the source belongs to (yours: {', '.join(owned) or 'none'})")
        domain = owned[0]
    if domain not in config.domains:
        raise Refusal(f"domain: '{domain}' is not one of {', '.join(sorted(config.domains))}")
    owner = config.agent_for_domain(domain)
    if owner != agent:
        raise Refusal(f"domain {domain} is owned by {owner}: {agent} may not queue sources for it "
                      f"(territory: {', '.join(owned) or 'no domain'})")
    try:
        folder = tools.vault.absolute(f"{DROP_FOLDER}/{domain}")
        folder.mkdir(parents=True, exist_ok=True)
        tools.vault.absolute(f"{DROP_FOLDER}/{domain}")  # a symlink made in between would point outside
    except UnsafePath as exc:
        raise Refusal(f"the drop folder is unsafe: {exc}") from None
    return folder


def _with_metadata(text: str, metadata: Mapping[str, str]) -> bytes:
    """`text` with `metadata` set in its frontmatter (one is added when it has none)."""
    from teleo.notes import parse_document
    from teleo.notes.document import dump_value
    from teleo.notes.edit import reparse, set_field

    if not metadata:
        return text.encode("utf-8")
    doc = parse_document(text)
    if doc.has_frontmatter and doc.frontmatter is not None:
        for key, value in metadata.items():
            text = set_field(reparse(text), key, value)
        return text.encode("utf-8")
    head = "".join(dump_value(key, value) for key, value in metadata.items())
    return f"---\n{head}---\n\n{text}".encode("utf-8")


def _fetched_as_markdown(url: str, metadata: Mapping[str, str]) -> bytes:
    """The page at `url` as markdown whose frontmatter keeps its URL (a dropped HTML file would lose it)."""
    from teleo.ingest.extract import detect_media, extract
    from teleo.ingest.fetch import fetch
    from teleo.ingest.models import IngestOptions

    options = IngestOptions()
    fetched = fetch(url, max_bytes=options.max_bytes, timeout=options.timeout)
    media = detect_media(fetched.data, name=fetched.final, content_type=fetched.content_type)
    found = extract(fetched.data, media, url=fetched.final, charset=fetched.charset)
    fields = {"title": found.title, "author": found.author, "date": found.date, "url": found.url or fetched.final}
    fields.update(metadata)
    return _with_metadata(found.text, {k: v for k, v in fields.items() if v})


def _free_name(folder: Path, name: str, suffix: str) -> Path:
    """A new file in `folder` named by a slug of `name`: ASCII, no separators, at most 80 bytes."""
    from teleo.ingest.names import ascii_slug, cut_slug

    slug = cut_slug(ascii_slug(name.strip().splitlines()[0] if name.strip() else ""), 80) or "source"
    for n in range(1, 1000):
        candidate = folder / (f"{slug}{suffix}" if n == 1 else f"{slug}-{n}{suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise Refusal(f"too many queued sources named {slug} in {folder.name}: run teleo run first")


def resolve_as(tools: VaultTools, agent: str, flag: str, note: str | None, status: str) -> dict[str, Any]:
    """Propose `agent`'s resolution of `flag` on `flags/<agent>/<id>` (`review.flags.propose_resolution`)."""
    from teleo.repo.branches import BranchError
    from teleo.review.flags import ResolutionRefused, propose_resolution

    with tools._write_lock:
        shared = _follow_shared_main(tools)
        try:
            made = propose_resolution(tools.vault, flag, agent=agent, resolution=note, target_status=status)
        except (ResolutionRefused, BranchError) as exc:
            raise Refusal(str(exc)) from None
        published = _publish(shared, made.branch if made.status != "already resolved" else None)
    following = {
        "proposed": "the resolution waits for the evaluator's review (review_proposal), then teleo merge; the flag "
                    "stays open until it is merged",
        "already proposed": "this flag's resolution was proposed before and waits for the evaluator's review "
                            "(review_proposal), then teleo merge; nothing new was written",
        "already resolved": "nothing to do: the flag is resolved on main",
    }[made.status]
    return {**made.model_dump(), "agent": agent, "next": following, **published}


def _source_path(tools: VaultTools, source: str) -> str:
    path = tools.find(source)
    row = tools.index().note_row(path)
    if row is None or row.kind != "source":
        kind = row.kind if row else "unknown"
        raise Refusal(f"{path} is a {kind}, not a source: quotes are grounded in a source note "
                      "(inbox/archive/…; ingest_source archives one)")
    return path


def _domain(tools: VaultTools, path: str) -> str | None:
    domain = tools.vault.note(path).data.get("domain")
    return domain.strip() if isinstance(domain, str) else None


def _owner(tools: VaultTools, path: str) -> str:
    config = tools.vault.config
    domain = _domain(tools, path)
    return config.agent_for_domain(domain if domain in config.domains else None)


def _status(tools: VaultTools, path: str) -> str | None:
    status = tools.vault.note(path).data.get("status")
    return status.strip() if isinstance(status, str) else status


def _inside_vault(tools: VaultTools, path: str) -> Path:
    root = tools.vault.root.resolve()
    full = (root / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    if full != root and root not in full.parents:
        raise Refusal(f"path: {path} is outside the vault ({root}); give a file inside it, or its text")
    if not full.is_file():
        raise Refusal(f"path: {path} is not a file in the vault")
    return full


# -- the tools ---------------------------------------------------------------------------------


def _writing(tools: VaultTools, fn: F) -> F:
    """Authorise the call (token over HTTP), settle the acting agent, then run `fn(agent, …)`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, ctx: Context, agent: str | None = None, **kwargs: Any) -> Any:
        authorize(tools, _headers(ctx))
        return fn(tools.acting_agent(agent), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _headers(ctx: Context) -> Mapping[str, str] | None:
    try:
        return ctx.headers
    except ValueError:  # no request context: called in process
        return None


def register_write_tools(server: MCPServer, tools: VaultTools) -> None:
    """The six write tools (module doc)."""

    @server.tool(annotations=WRITE)
    @refusals_as_tool_errors
    def propose_claim(
        source: Annotated[str, Field(description="The source note the evidence is quoted from (title or path in inbox/archive/).")],
        claims: Annotated[list[ClaimDraft], Field(min_length=1, max_length=25, description=(
            "One or more new claims. Each: title (one arguable proposition, a full sentence), description (one "
            "sentence adding to the title), confidence, body (the argument), evidence (verbatim quotes from the "
            "source), related (existing notes to link), challenges (known objections)."))],
        ctx: Context,
        key_facts: Annotated[list[str] | None, Field(description="Facts of the source worth keeping on the source note.")] = None,
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Propose new claims grounded in a source: makes a proposal branch extract/<source> (never a commit
        to main) that passes the same gates as `teleo extract` — every evidence quote must be found verbatim
        in the source, titles must be safe, files must stay in your territory and pass lint. Use it after
        reading the source and searching for existing claims (a claim restating one that exists becomes an
        enrichment of it). Only the agent owning the source's domain can propose from it; a source with an
        open proposal is refused. Returns the branch, the commit and anything dropped with its reason."""
        return _writing(tools, lambda who: propose(tools, who, source, ExtractionResult(
            claims=claims, source_update=SourceUpdate(key_facts=key_facts or []))))(ctx=ctx, agent=agent)

    def enrichment(kind: str, source: str, claim: str, evidence: str, quote: str) -> ExtractionResult:
        try:
            draft = EnrichmentDraft(target=claim, type=kind, evidence=evidence, quote=Quote(text=quote))  # type: ignore[arg-type]
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(str(p) for p in e['loc']).replace('text', 'quote')}: {e['msg']}"
                               for e in exc.errors())
            raise Refusal(f"invalid {kind}: {fields}") from None
        return ExtractionResult(enrichments=[draft])

    @server.tool(annotations=WRITE)
    @refusals_as_tool_errors
    def enrich_claim(
        source: Annotated[str, Field(description="The source note the new evidence comes from (title or path).")],
        claim: Annotated[str, Field(description="The existing claim to enrich (its title or path).")],
        evidence: Annotated[str, Field(description="The paragraph to append: what the source adds and why it bears on the claim.")],
        quote: Annotated[str, Field(description="A verbatim passage of the source supporting it.")],
        ctx: Context,
        type: Annotated[Literal["extend", "confirm"], Field(
            description="extend: the source adds scope or mechanism; confirm: it is independent support.")] = "extend",
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Add new evidence from a source to an existing claim (an `### Additional Evidence` block) through a
        proposal branch, with the same gates as propose_claim: the quote must be in the source, the claim must
        exist and lie in your territory. Use it instead of propose_claim when a claim already says what the
        source shows. To argue against a claim use challenge_claim."""
        return _writing(tools, lambda who: propose(tools, who, source, enrichment(type, source, claim, evidence, quote)))(
            ctx=ctx, agent=agent)

    @server.tool(annotations=WRITE)
    @refusals_as_tool_errors
    def challenge_claim(
        source: Annotated[str, Field(description="The source note the counter-evidence comes from (title or path).")],
        claim: Annotated[str, Field(description="The existing claim challenged (its title or path).")],
        evidence: Annotated[str, Field(description="Why the source cuts against the claim, in a paragraph.")],
        quote: Annotated[str, Field(description="A verbatim passage of the source carrying the counter-evidence.")],
        ctx: Context,
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Record counter-evidence against an existing claim (a challenge block), through a proposal branch
        with the same gates as propose_claim. A merged challenge flags the beliefs and positions resting on the
        claim for re-review (the cascade). The claim must lie in your territory; to contest a claim of another
        domain, propose a claim of your own that argues against it (related: relation 'challenges')."""
        return _writing(tools, lambda who: propose(tools, who, source, enrichment("challenge", source, claim, evidence, quote)))(
            ctx=ctx, agent=agent)

    @server.tool(annotations=WRITE)
    @refusals_as_tool_errors
    def ingest_source(
        ctx: Context,
        text: Annotated[str | None, Field(description="The source's text (markdown or plain).")] = None,
        path: Annotated[str | None, Field(description="Or a file inside the vault (markdown, text, HTML or PDF).")] = None,
        url: Annotated[str | None, Field(description="Or an http(s) URL, where the server's network allows.")] = None,
        title: Annotated[str | None, Field(description="The source's title (else taken from the source).")] = None,
        author: Annotated[str | None, Field(description="Its author.")] = None,
        date: Annotated[str | None, Field(description="Its date: YYYY-MM-DD, YYYY-MM or YYYY.")] = None,
        domain: Annotated[str | None, Field(description="The domain it belongs to, one you own: decides which agent extracts it.")] = None,
        format: Annotated[str | None, Field(description="essay, paper, report, article…")] = None,
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Queue a source for archiving: writes it into the drop folder inbox/queue/<domain>/ under a safe
        file name — no commit, nothing on main. `teleo run` (or `teleo run --until extract`) then archives it as
        an unprocessed source note in inbox/archive/ (cleaned, linted, a duplicate of an archived source
        dropped) and extracts it into a proposal branch; once archived, propose_claim can use it. The domain
        must be one you own (territory); without it, your only domain. Give exactly one of text, path (a file
        inside the vault), url. Returns the queued file's path and what happens next."""
        return _writing(tools, lambda who: ingest_as(
            tools, who, text=text, path=path, url=url, title=title, author=author, date=date, domain=domain,
            format=format))(ctx=ctx, agent=agent)

    @server.tool(annotations=WRITE)
    @refusals_as_tool_errors
    def review_proposal(
        proposal: Annotated[str, Field(description="The proposal's branch, e.g. extract/2026-01-02-some-source "
                                                   "or flags/theseus/2026-03-10-some-belief (list_proposals).")],
        verdict: Annotated[Literal["approve", "request_changes", "reject"], Field(
            description="approve: every claim meets the checklist; request_changes: fixable problems (list them); "
                        "reject: it should not enter the knowledge base.")],
        text: Annotated[str, Field(description="Your review in a few sentences.")],
        ctx: Context,
        findings: Annotated[list[ClaimFinding] | None, Field(
            description="Per-file remarks: path, criterion (checklist item), severity blocking|advice, message.")] = None,
        head: Annotated[str | None, Field(description="The head commit you read (from list_proposals); refused if the branch moved since.")] = None,
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Record your verdict on an open proposal, bound to its head commit (a new commit voids it). The
        deterministic gates run first: if they block, no verdict is recorded and their findings come back.
        You cannot review a proposal you made. Read the proposal's files first (list_proposals, read_note).
        Returns the verdicts on the head and whether the proposal now has every approval it needs to merge."""
        answer = ReviewAnswer(verdict=verdict, text=text, findings=findings or [])
        return _writing(tools, lambda who: review_as(tools, who, proposal, answer, head))(ctx=ctx, agent=agent)

    @server.tool(annotations=WRITE)
    @refusals_as_tool_errors
    def resolve_flag(
        flag: Annotated[str, Field(description="The flag's id or a unique start of it (list_flags).")],
        ctx: Context,
        note: Annotated[str | None, Field(description="What the re-reading concluded, kept on the flag.")] = None,
        status: Annotated[Literal["active", "revised", "abandoned"], Field(
            description="What the belief becomes: active (still holds), revised, abandoned.")] = "active",
        agent: AgentArg = None,
    ) -> dict[str, Any]:
        """Propose closing one of your cascade flags after re-reading the belief or position it points at:
        makes a proposal branch flags/<agent>/<flag-id> (never a commit to main) marking the flag resolved with
        your note and giving the belief the status you choose (it leaves under_review). The evaluator reviews it
        (review_proposal) and teleo merge lands it; only then does list_flags show it resolved, and a revised or
        abandoned belief cascades in turn. Only the flag's own agent resolves it, and only for notes in its
        territory. Calling it again for the same flag returns the waiting proposal. Returns the branch and its
        head commit."""
        return _writing(tools, lambda who: resolve_as(tools, who, flag, note, status))(ctx=ctx, agent=agent)
