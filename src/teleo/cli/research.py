"""`teleo research AGENT`: one self-directed research session from the raw dumps (reference §4.2)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import FAILED, OutputFormat, console, example, fail, proposing_on_shared_main, vault_from


def register(app: typer.Typer) -> None:
    app.command("research", epilog=EPILOG)(research)


EPILOG = example(
    "teleo research rio",
    "teleo research rio --date 2026-03-11 --format json",
    "teleo research theseus -p anthropic",
)


def research(
    ctx: typer.Context,
    agent: str = typer.Argument(..., help="The agent researching (an agent of the vault's teleo.toml)."),
    date: Optional[str] = typer.Option(None, "--date", help="The session's date, YYYY-MM-DD (default: today)."),
    provider: Optional[str] = typer.Option(None, "--provider", "-p", help="Override [llm.research] / [llm] provider (offline by default)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Override the model."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """A research session of AGENT from the raw dumps in inbox-raw/AGENT/: it names a keystone belief and a
    disconfirmation target, picks one question, archives 5–15 sources as unprocessed with Agent Notes, and
    writes agents/AGENT/musings/research-DATE.md and a research-journal.md entry — one commit on the branch
    AGENT/research-DATE (a proposal the evaluator reviews; main and the working tree are untouched). It
    never extracts.

    It reads agents/AGENT/network.json (handles checked) and the dumps: *.json (a list of tweet-like records,
    or an object holding one under tweets or data), *.jsonl (one record a line), *.md and *.txt (one document
    each). One session per agent runs at a time; a second is refused.
    """
    from teleo.research import ResearchBusy, ResearchError, research as run_research

    vault = vault_from(ctx, None)
    with proposing_on_shared_main(vault, "teleo research") as made:
        try:
            outcome = run_research(vault, agent, date=date, provider=provider, model=model)
        except ResearchBusy as exc:
            fail(str(exc), FAILED)
        except ResearchError as exc:
            fail(str(exc), FAILED)
        made.append(outcome.branch)
        _print(outcome, output)


def _print(outcome, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        typer.echo(json.dumps(outcome.model_dump(), indent=1))
        return
    console.print(f"[bold]{escape(outcome.subject)}[/] on [cyan]{escape(outcome.branch)}[/] ({outcome.commit[:12]}, "
                  f"researcher {escape(outcome.researcher)})")
    console.print(f"  keystone      {escape(outcome.keystone)}")
    console.print(f"  target        {escape(outcome.disconfirmation_target)}")
    console.print(f"  question      {escape(outcome.question)}")
    console.print(f"  musing        {escape(outcome.musing)}")
    console.print(f"  journal       {escape(outcome.journal)}")
    for source in outcome.sources:
        console.print(f"  archived      {escape(source.path)} [dim]({escape(source.origin)})[/]")
    if outcome.skipped:
        console.print(f"  [dim]{len(outcome.skipped)} raw item(s) or file(s) not used (listed in the musing)[/]")
    console.print("  next: teleo review " + escape(outcome.branch) + " && teleo merge")
