"""`teleo synthesize`: the evaluator's synthesis proposal for one synthesis-queue entry (§4.7)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from teleo.cli.common import OutputFormat, console, example, fail, proposing_on_shared_main, vault_from


def register(app: typer.Typer) -> None:
    app.command("synthesize", epilog=EPILOG)(synthesize)


EPILOG = example(
    "teleo synthesis                      # queue the triggers; each entry has an id",
    "teleo synthesize 3f2a9c              # draft entry 3f2a9c… offline → branch synthesis/<evaluator>/<id>",
    "teleo synthesize 3f2a9c -p anthropic # drafted by a model",
    "teleo review && teleo merge          # one domain peer per touched domain approves, then it merges",
)


def synthesize(
    ctx: typer.Context,
    entry: str = typer.Argument(..., help="The queue entry's id (or a unique start of it), as teleo synthesis prints."),
    provider: Optional[str] = typer.Option(None, "--provider", "-p", help="Provider name from [llm] (offline by default)."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name for the provider."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Draft the evaluator's synthesis of one queue entry and propose it on synthesis/<evaluator>/<id>.

    The draft is one claim naming a mechanism, filed in the evaluator's domain, with secondary_domains and a
    depends_on claim from each side; it is gated before it is proposed. Offline, the mechanism is the term the two
    sides share (no shared term: refused, with why). It merges after one domain peer per touched domain approves
    (at least two).
    """
    from teleo.llm.base import ProviderError
    from teleo.review.synthesis import SynthesisError
    from teleo.review.synthesize import propose_synthesis
    from teleo.vault import ConfigError

    vault = vault_from(ctx, None)
    with proposing_on_shared_main(vault, "teleo synthesize") as made:
        try:
            outcome = propose_synthesis(vault, entry, provider=provider, model=model)
        except (SynthesisError, ConfigError, ProviderError) as exc:
            fail(str(exc))
        if outcome.branch:
            made.append(outcome.branch)
        _print(outcome, output)


def _print(outcome, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        typer.echo(json.dumps(outcome.model_dump(mode="json"), ensure_ascii=False, indent=1))
        return
    if outcome.status == "already proposed":
        console.print(f"entry {outcome.entry} is already proposed on {escape(outcome.branch)} (head {outcome.commit[:12]})")
        return
    console.print(f"[green]proposed[/] {escape(outcome.branch)} ({outcome.commit[:12]}, drafted by {escape(outcome.provider)})")
    console.print(f"  claim      {escape(outcome.path)}")
    console.print(f"  mechanism  {escape(outcome.mechanism)}")
    console.print(f"  secondary  {escape(', '.join(outcome.secondary_domains))}")
    for title in outcome.depends_on:
        console.print(f"  depends on {escape(title)}")
