"""`teleo contribute`: a person's source, claim or challenge as a proposal branch `contrib/<handle>/<slug>`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape

from teleo.cli.common import FAILED, OutputFormat, console, example, fail, proposing_on_shared_main, vault_from

if TYPE_CHECKING:
    from teleo.contrib import Contribution, ContributionOutcome

FLOW = (
    "\n\n  The draft passes the same gates as any proposal before anything is written (schema, links, "
    "duplicate titles, what a contribution may change); a draft that fails them is printed back with the "
    "findings (file, line, field) and nothing is committed. Otherwise: one commit `contrib: …` with a "
    "`Contributor: <handle>` trailer on contrib/<handle>/<slug> off main, which `teleo review` gives to the "
    "evaluator and the domain's agent and `teleo merge` lands. Your handle is credited in the claim's "
    "`attribution:` block (see `teleo contributors`)."
    "\n\n[bold]Exit codes[/]\n\n  0  proposed (or already proposed)\n\n"
    "  1  the draft failed the gates: nothing committed\n\n"
    "  2  wrong usage (bad handle, unknown claim or domain, not a git vault)"
)
EPILOG = example(
    "teleo contribute claim --as alice --domain health --title 'pharmacist calls keep more patients on GLP-1 drugs "
    "than app reminders do' --description 'Phone outreach beat automated reminders in two employer plans.'",
    "teleo contribute challenge 'GLP-1 adherence falls steeply after the first year' --as bob --text 'claims data miss "
    "cash-pay fills'",
    "teleo contribute source notes.md --as carol --domain health --title 'Pharmacy persistence study'",
) + FLOW

_AS = typer.Option(..., "--as", help="Your handle (a-z, 0-9, . _ -; not an agent's name): the branch and the credit.")
_OUTPUT = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts.")
_CONTEXT = typer.Option(None, "--context", help="Where this comes from (kept in the attribution entry).")


def register(app: typer.Typer) -> None:
    group = typer.Typer(rich_markup_mode="rich", no_args_is_help=True,
                        context_settings={"help_option_names": ["-h", "--help"]},
                        help="Contribute as a person: add a source, propose a claim, or challenge one — a proposal "
                             "branch contrib/<handle>/<slug>, reviewed like any other.")
    group.callback(epilog=EPILOG)(_group)
    group.command("claim", epilog=CLAIM_EPILOG)(claim)
    group.command("challenge", epilog=CHALLENGE_EPILOG)(challenge)
    group.command("source", epilog=SOURCE_EPILOG)(source)
    app.add_typer(group, name="contribute")


def _group() -> None:
    """Contribute as a person: add a source, propose a claim, or challenge one — a proposal branch
    contrib/<handle>/<slug>, gated first, then reviewed by the evaluator and the domain's agent."""


CLAIM_EPILOG = example(
    "teleo contribute claim --as alice --domain health --title 'pharmacist calls keep more patients on GLP-1 drugs "
    "than app reminders do' --description 'Phone outreach beat automated reminders in two employer plans.' "
    "--body-file argument.md --related 'GLP-1 adherence falls steeply after the first year which limits the "
    "population savings from obesity drugs'",
    "teleo contribute claim --as alice --domain health --title '…' --description '…' --format json | jq .branch",
) + FLOW


def claim(
    ctx: typer.Context,
    handle: str = _AS,
    title: str = typer.Option(..., "--title", "-t", help="The claim, as a proposition someone could disagree with."),
    domain: str = typer.Option(..., "--domain", "-d", help="The vault's domain it belongs to."),
    description: str = typer.Option(..., "--description", help="One sentence adding to the title."),
    confidence: str = typer.Option("experimental", "--confidence", help="proven, likely, experimental or speculative."),
    body: Optional[str] = typer.Option(None, "--body", help="The argument (markdown)."),
    body_file: Optional[Path] = typer.Option(None, "--body-file", help="The argument from a file ('-': stdin)."),
    source_text: Optional[str] = typer.Option(None, "--source", help="The claim's source: field (default '<handle>, original analysis')."),
    related: Optional[list[str]] = typer.Option(None, "--related", help="Title of an existing note it relates to (repeatable)."),
    context: Optional[str] = _CONTEXT,
    output: OutputFormat = _OUTPUT,
) -> None:
    """Propose a claim of your own: a new claim in the domain's folder, you as its extractor."""
    from teleo.contrib import ClaimDraft, Contribution

    draft = _claim_draft(ClaimDraft, title, domain, description, confidence, _text(body, body_file), source_text, related)
    _run(ctx, Contribution(handle=handle, what="claim", claim=draft, context=context), output)


CHALLENGE_EPILOG = example(
    "teleo contribute challenge 'GLP-1 adherence falls steeply after the first year which limits the population "
    "savings from obesity drugs' --as bob --text 'pharmacy claims miss cash-pay and compounded fills'",
    "teleo contribute challenge domains/health/some-claim.md --as bob --title 'GLP-1 persistence is higher than "
    "pharmacy claims show' --description 'Cash-pay fills go unrecorded.' --body-file why.md",
) + (
    "\n\n  With --text: the claim gets a challenged_by entry, you as challenger in its attribution, and your "
    "paragraph in its ## Challenges section — nothing of it removed. With --title/--description: a counter-claim "
    "(in the claim's domain unless --domain) that links to it; the claim itself is left as it is."
) + FLOW


def challenge(
    ctx: typer.Context,
    target: str = typer.Argument(..., metavar="CLAIM", help="The claim challenged: its title or its path."),
    handle: str = _AS,
    text: Optional[str] = typer.Option(None, "--text", help="Why it does not hold (a challenged_by entry + ## Challenges)."),
    text_file: Optional[Path] = typer.Option(None, "--text-file", help="The same from a file ('-': stdin)."),
    title: Optional[str] = typer.Option(None, "--title", "-t", help="A counter-claim's title (instead of --text)."),
    description: Optional[str] = typer.Option(None, "--description", help="The counter-claim's description."),
    domain: Optional[str] = typer.Option(None, "--domain", "-d", help="The counter-claim's domain (default: the claim's)."),
    confidence: str = typer.Option("experimental", "--confidence", help="The counter-claim's confidence."),
    body: Optional[str] = typer.Option(None, "--body", help="The counter-claim's argument."),
    body_file: Optional[Path] = typer.Option(None, "--body-file", help="The counter-claim's argument from a file."),
    related: Optional[list[str]] = typer.Option(None, "--related", help="Another note the counter-claim relates to."),
    context: Optional[str] = _CONTEXT,
    output: OutputFormat = _OUTPUT,
) -> None:
    """Challenge a claim: a challenged_by entry and a ## Challenges paragraph on it (--text), or a
    counter-claim linking to it (--title, --description); the original is never deleted."""
    from teleo.contrib import ChallengeDraft, ClaimDraft, Contribution

    argument = _text(text, text_file)
    if title is None and not argument:
        fail("say why the claim does not hold (--text) or propose a counter-claim (--title and --description)")
    if title is not None and argument:
        fail("--text and --title are two ways to challenge: choose one")
    counter = None
    if title is not None:
        if not description:
            fail("a counter-claim needs --description")
        counter = _claim_draft(ClaimDraft, title, domain, description, confidence, _text(body, body_file), None, related)
    item = Contribution(handle=handle, what="challenge", context=context,
                        challenge=ChallengeDraft(target=target, text=argument, counter=counter))
    _run(ctx, item, output)


SOURCE_EPILOG = example(
    "teleo contribute source paper.pdf --as carol --domain health --title 'Pharmacy persistence study' --url https://example.org/study",
    "pbpaste | teleo contribute source - --as carol --domain health --title 'Notes from a clinic visit'",
) + (
    "\n\n  The source is archived in inbox/archive/<date>-<handle>-<slug>.md, unprocessed, with contributor: "
    "<handle>; once merged, the domain's agent extracts it, and you are credited as sourcer of the claims it yields."
) + FLOW


def source(
    ctx: typer.Context,
    path: str = typer.Argument(..., metavar="FILE", help="The source: a text, markdown, HTML or PDF file ('-': stdin)."),
    handle: str = _AS,
    title: str = typer.Option(..., "--title", "-t", help="The source's title."),
    domain: str = typer.Option(..., "--domain", "-d", help="The vault's domain it belongs to."),
    url: Optional[str] = typer.Option(None, "--url", help="Where it was published."),
    author: Optional[str] = typer.Option(None, "--author", help="Its author (default: your handle)."),
    date: Optional[str] = typer.Option(None, "--date", help="Its date, YYYY-MM-DD (default: today)."),
    source_format: str = typer.Option("essay", "--source-format", help="essay, paper, report, …"),
    output: OutputFormat = _OUTPUT,
) -> None:
    """Add a source for the domain's agent to extract: archived unprocessed, you as its contributor."""
    from teleo.contrib import Contribution, SourceDraft

    draft = SourceDraft(title=title, domain=domain, text=_source_text(path), url=url, author=author, date=date,
                        format=source_format)
    _run(ctx, Contribution(handle=handle, what="source", source=draft), output)


# -- shared -----------------------------------------------------------------------------------


def _claim_draft(model, title, domain, description, confidence, body, source_text, related):
    from pydantic import ValidationError

    try:
        return model(title=title, domain=domain, description=description, confidence=confidence, body=body or "",
                     source=source_text, related=related or [])
    except ValidationError as exc:
        fail("; ".join(f"--{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))


def _text(inline: Optional[str], file: Optional[Path]) -> str:
    if inline is not None and file is not None:
        fail("give the text inline or as a file, not both")
    if file is None:
        return inline or ""
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read it ({exc.__class__.__name__})")


def _source_text(path: str) -> str:
    """The text of a local file or stdin, read as `teleo ingest` reads it (PDF, HTML, markdown, text)."""
    from teleo.ingest.extract import detect_media, extract
    from teleo.ingest.models import IngestError

    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        fail(f"{path}: cannot read it ({exc.__class__.__name__})")
    if not data.strip():
        fail(f"{path}: the input is empty")
    try:
        found = extract(data, detect_media(data, name=None if path == "-" else Path(path).name, content_type=None))
    except IngestError as exc:
        fail(f"{path}: {exc}")
    return found.text


def _run(ctx: typer.Context, item: Contribution, output: OutputFormat) -> None:
    from teleo.contrib import ContributionRefused, contribute

    vault = vault_from(ctx)
    with proposing_on_shared_main(vault, "teleo contribute") as made:
        try:
            outcome = contribute(vault, item)
        except ContributionRefused as exc:
            fail(str(exc))
        if outcome.branch and outcome.status != "refused":
            made.append(outcome.branch)
        if output is OutputFormat.json:
            typer.echo(json.dumps(outcome.model_dump(), ensure_ascii=False, indent=1))
        else:
            _print(outcome)
    if outcome.status == "refused":
        raise typer.Exit(FAILED)


def _print(outcome: ContributionOutcome) -> None:
    if outcome.status == "refused":
        console.print(f"[bold red]not proposed:[/] the draft fails the gates ({len(outcome.findings)} finding"
                      f"{'s' if len(outcome.findings) != 1 else ''}); nothing was committed")
        for f in outcome.findings:
            where = f"{f.file}:{f.line}" if f.line else f.file or "(the proposal)"
            field = f" [{f.field}]" if f.field else ""
            console.print(f"  {escape(where)}{escape(field)}  [yellow]{escape(f.rule)}[/]  {escape(f.message)}")
        return
    verb = "proposed" if outcome.status == "proposed" else "already proposed"
    console.print(f"[green]{verb}[/] {escape(outcome.subject)}")
    console.print(f"  branch     {escape(outcome.branch or '')}  (commit {escape((outcome.commit or '')[:12])})")
    for path in outcome.files:
        console.print(f"  file       {escape(path)}")
    if outcome.reviewers:
        console.print(f"  reviewers  {escape(', '.join(outcome.reviewers))}")
    console.print(f"[dim]next: teleo review {escape(outcome.branch or '')} && teleo merge[/]")
