"""`teleo extract`: extract every unprocessed source into proposal branches, with worker processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import FAILED, OutputFormat, console, err_console, example, fail, vault_for_paths


def register(app: typer.Typer) -> None:
    app.command("extract", epilog=EPILOG)(extract)


EPILOG = example(
    "teleo extract",
    "teleo extract --workers 4 --limit 20",
    "teleo extract inbox/archive/2026-01-02-orbitalreport-launch-costs.md --provider offline",
    "teleo extract --format json | jq .totals",
    "teleo extract --show-prompt inbox/archive/2026-01-02-orbitalreport-launch-costs.md --provider anthropic",
) + (
    "\n\n[bold]Exit codes[/]\n\n  0  every job made a proposal, a null result, or had one already\n\n"
    "  1  a job failed after its retries\n\n  2  wrong usage (not a git vault, unknown source)"
)


def extract(
    ctx: typer.Context,
    sources: Optional[list[Path]] = typer.Argument(None, metavar="[SOURCE]...", help="Source notes (default: every unprocessed source on main)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, max=64, help="Worker processes (default 1)."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Extract at most this many sources."),
    provider: Optional[str] = typer.Option(None, "--provider", "-p", help="Provider name from [llm] (offline, anthropic, openai…)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name for the provider."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
    show_prompt: bool = typer.Option(False, "--show-prompt", help="Print the exact messages that would be sent for SOURCE (every chunk) and their token count; send nothing."),
) -> None:
    """Extract unprocessed sources (chosen from their parsed frontmatter on main) into one
    proposal commit each, on branch extract/<slug>, without touching the working tree.

    Jobs are leased in .teleo/queue.sqlite, so two runs never take the same source; a worker
    that dies loses its lease and the job is redone from scratch; failures are retried with
    backoff. Shows live progress, then a summary table."""
    vault = vault_for_paths(ctx, sources)
    if show_prompt:
        if not sources or len(sources) != 1:
            fail("--show-prompt needs exactly one SOURCE")
        print_preview(vault, sources[0], provider=provider, model=model, output=output)
        raise typer.Exit(0)
    report = run_extract(vault, sources, workers=workers, limit=limit, provider=provider, model=model,
                         live=output is OutputFormat.text)
    if sources:
        explain_unqueued(vault, sources, report)
    if output is OutputFormat.json:
        console.print_json(json.dumps(report.as_json()))
    else:
        print_report(report)
    raise typer.Exit(0 if report.ok else FAILED)


def explain_unqueued(vault, sources: list[Path], report) -> None:
    """Say why a named source was not extracted because of its status (parked, processed, …)."""
    from teleo.triage.sources import not_queued
    from teleo.vault import UnsafePath

    taken = {job.source for job in report.jobs} | set(report.already)
    named = []
    for source in sources:
        try:
            named.append(vault.relative(source) if Path(source).exists() else str(source))
        except UnsafePath:
            continue
    for reason in not_queued(vault, [rel for rel in named if rel not in taken]):
        err_console.print(f"[yellow]not extracted:[/] {escape(reason)}")


def print_preview(vault, source: Path, *, provider, model, output: OutputFormat) -> None:
    """The messages of every chunk, exactly as a job would send them, then their sizes; nothing is sent."""
    from teleo.extract.chunks import TOKENIZER_LABEL
    from teleo.extract.context import ContextError
    from teleo.pipeline.preview import preview
    from teleo.vault import UnsafePath
    from teleo.vault.config import ConfigError

    try:
        shown = preview(vault, source, provider=provider, model=model)
    except (ContextError, ConfigError, UnsafePath, ValueError) as exc:
        fail(escape(str(exc)))
    if output is OutputFormat.json:
        console.print_json(json.dumps(shown.as_json()))
        return
    settings = shown.settings
    for prompt, (system_tokens, user_tokens) in zip(shown.prompts, shown.tokens):
        part = f"part {prompt.chunk.number} of {prompt.chunk.count}"
        for role, text, tokens in (("system", prompt.system, system_tokens), ("user", prompt.user, user_tokens)):
            typer.echo(f"===== {part} · {role} message · {tokens:,} tokens =====")
            typer.echo(text, nl=False)  # as it is: no wrapping, no markup, tabs kept
    typer.echo(f"===== {len(shown.prompts)} request(s), {shown.total_tokens:,} prompt tokens in all =====")
    lines = [
        f"source {shown.source} (read from {shown.read_from}), agent {shown.agent}, domain {shown.domain}",
        f"provider {settings.provider}, model {settings.model_name}: chunks of at most {settings.source_tokens:,} source "
        f"tokens, overlapping by up to {settings.chunk_overlap_tokens:,}",
        f"tokens counted with {TOKENIZER_LABEL}; the message framing of the API is not counted",
        "nothing was sent; a real run draws new fence tags" + (
            " (the offline provider sends no messages at all: these are what an LLM provider would get)"
            if settings.provider == "offline" else ""),
    ]
    for line in lines:
        err_console.print(line, markup=False)


def run_extract(vault, sources, *, live: bool, **options):
    from teleo.pipeline import extract_all
    from teleo.pipeline.queue import QueueError
    from teleo.repo.discover import NotARepository

    chosen = [str(s) for s in sources] if sources else None
    display = _LiveProgress() if live else None
    try:
        if display is None:
            return extract_all(vault, chosen, **options)
        with display:
            return extract_all(vault, chosen, on_progress=display.update, **options)
    except (NotARepository, ValueError) as exc:
        fail(str(exc))
    except QueueError as exc:
        fail(str(exc), FAILED)


class _LiveProgress:
    """Redrawn at each progress report (the supervisor's tick), without a refresh thread: the
    supervisor forks its workers only from a process running no other thread."""

    def __init__(self) -> None:
        self.live = Live(Table(), console=err_console, auto_refresh=False, transient=True)

    def __enter__(self):
        self.live.__enter__()
        return self

    def __exit__(self, *exc):
        return self.live.__exit__(*exc)

    def update(self, progress) -> None:
        table = Table(box=None, show_header=False)
        c = progress.counts
        table.add_row("[bold]extract[/]", f"{c['done'] + c['failed']}/{progress.total} done"
                      f"  ({c['failed']} failed, {c['leased']} running, {c['pending']} waiting"
                      + (f", {progress.restarts} worker restarts" if progress.restarts else "") + ")")
        for number in sorted(progress.current):
            table.add_row(f"  worker {number}", escape(progress.current[number]))
        self.live.update(table, refresh=True)


def print_report(report) -> None:
    if report.enqueued is not None:
        print_enqueued(report.enqueued)
        return
    t = report.totals()
    if report.error:
        err_console.print(f"[bold red]error:[/] {escape(report.error)}")
    if not report.jobs and not report.already:
        console.print("no unprocessed sources")
        return
    table = Table(title="extraction", title_justify="left")
    for name in ("sources", "claims", "enrichments", "null results", "not proposed", "failures", "tokens", "cost"):
        table.add_column(name, justify="right")
    cost = "—" if t["cost"] is None else f"${t['cost']:.4f}"
    table.add_row(str(t["sources"]), str(t["claims"]), str(t["enrichments"]), str(t["null"]), str(t["dropped"]),
                  str(t["failed"] + t["unfinished"]), str(t["tokens"]), cost)
    console.print(table)
    if t.get("entities_created") or t.get("entities_updated"):
        console.print(f"entities: {t['entities_created']} created, {t['entities_updated']} updated")
    print_dropped(report)
    for job in report.jobs:
        if job.state != "done":
            console.print(f"[red]failed[/] {escape(job.source)} after {job.attempts} attempt(s): {escape(job.last_error or '')}")
    console.print(summary_line(t, len(report.already)))


def summary_line(t: dict, already: int) -> str:
    """What the run did, each number saying what it counts. A null result is a proposal branch too
    (the source alone, marked null-result, reviewed and merged like any other), so the branches
    made plus those already open are what `teleo proposals` lists."""
    made = t["proposed"] + t["null"]
    parts = [
        f"{_count(made, 'proposal branch', 'proposal branches')} made: {t['proposed']} with claims or enrichments, "
        f"{_count(t['null'], 'null result')}"
    ]
    if already:
        parts.append(f"{already} already open (not redone)")
    if t["skipped"]:  # found an open proposal when it ran (an earlier attempt's, or another run's) or a changed status
        parts.append(f"{t['skipped']} skipped (see --format json)")
    if t["restarts"]:
        parts.append(f"{t['restarts']} worker restarts")
    parts.append(f"{t['elapsed_s']:.1f} s")
    return " · ".join(parts)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def print_dropped(report, examples: bool = True) -> None:
    """What the extraction did not propose, grouped by reason (most frequent first), with one example each.

    The extractor's own filter drops candidates (reason: the claim-quality code or the filter's);
    the writer drops items of an answer it cannot write (reason prefixed `claim:`, `link:` …).
    """
    groups = report.dropped_by_reason()
    if not groups:
        return
    total = sum(g["count"] for g in groups)
    table = Table(title=f"not proposed ({total}), by reason", title_justify="left")
    table.add_column("count", justify="right")
    table.add_column("reason", overflow="fold")
    if examples:
        table.add_column("example", overflow="fold", ratio=1)
    for group in groups:
        reason = group["reason"] if group["kind"] == "candidate" else f"{group['kind']}: {group['reason']}"
        row = [str(group["count"]), escape(reason)]
        if examples:
            example = group["example"] if len(group["example"]) <= 70 else group["example"][:69] + "\u2026"
            row.append(escape(f"\u201c{example}\u201d"))
        table.add_row(*row)
    console.print(table)


def print_enqueued(done) -> None:
    """What went into the shared queue: `teleo worker`s do it."""
    by_kind: dict[str, int] = {}
    for kind, _ in done.queued:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    parts = [f"{n} {kind} job{'s' if n != 1 else ''}" for kind, n in by_kind.items()] or ["no job"]
    line = f"queued {', '.join(parts)} on {done.backend} ({escape(done.queue)})"
    if done.duplicates:
        line += f" · {len(done.duplicates)} already waiting or running (not queued twice)"
    if done.already:
        line += f" · {len(done.already)} already proposed"
    console.print(line)
    console.print("[dim]teleo worker does them; teleo queue status shows them[/]")
