"""`teleo contributors`: who contributed what, in which role, with the weighted score (contributors.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, err_console, example, fail, vault_from

EPILOG = example(
    "teleo contributors",
    "teleo contributors --format json | jq '.contributors[] | select(.handle == \"alice\")'",
    "teleo contributors --out public/contributors.json",
) + (
    "\n\n  Built on demand from the files — each claim's attribution block (reference §2.9), the "
    "Pentagon-Agent and Contributor trailers of the commits that added claims, the contributor of a source "
    "whose claims were extracted — and never stored in the vault: files are the truth and this is derived "
    "from them (teleo graph writes the same document beside graph-data.json for publishing). "
    "weighted_score = Σ count × weight, with the weights of schemas/contribution-weights.yaml when the vault "
    "has it, else the reference's (sourcer 0.15, extractor 0.40, challenger 0.20, synthesizer 0.15, reviewer 0.10)."
)


def register(app: typer.Typer) -> None:
    app.command("contributors", epilog=EPILOG)(contributors)


def contributors(
    ctx: typer.Context,
    handle: Optional[str] = typer.Argument(None, help="Only this contributor."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the JSON document to this file."),
    no_history: bool = typer.Option(False, "--no-history", help="Attribution blocks only (no git trailers)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """Contributors by weighted score: role counts, score, claims, domains, first and latest contribution."""
    from teleo.export import contributors_document
    from teleo.notes import atomic_write

    vault = vault_from(ctx)
    document, problems = contributors_document(vault, history=not no_history)
    for problem in problems:
        err_console.print(f"[yellow]warning:[/] {escape(problem)}")
    if handle is not None:
        wanted = handle.strip().removeprefix("@").lower()
        document["contributors"] = [p for p in document["contributors"] if p["handle"].removeprefix("@") == wanted]
        if not document["contributors"]:
            fail(f"no contributor '{handle}'")
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(out, text)
        except OSError as exc:
            fail(f"{out}: cannot write it ({exc.__class__.__name__})")
    if output is OutputFormat.json:
        typer.echo(text, nl=False)
        return
    _print(document)


def _print(document: dict) -> None:
    weights = document["weights"]
    if not document["contributors"]:
        console.print("no contributors yet: no claim has an attribution block or a Contributor/Pentagon-Agent trailer")
        return
    shown = ", ".join(f"{role} {weight:g}" for role, weight in weights.items())
    table = Table(title=escape(f"Contributors ({len(document['contributors'])}; weights from "
                               f"{document['weights_source']}: {shown})"), title_justify="left")
    table.add_column("handle", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("claims", justify="right", no_wrap=True)
    table.add_column("roles", overflow="fold", ratio=2)
    table.add_column("domains", overflow="fold", ratio=2)
    table.add_column("first → latest", overflow="fold", ratio=1)
    for p in document["contributors"]:
        roles = ", ".join(f"{role} {count}" for role, count in p["roles"].items() if count)
        domains = ", ".join(f"{d} {n}" for d, n in p["domains"].items())
        table.add_row(escape(p["handle"]), f"{p['weighted_score']:g}", str(p["claim_count"]), escape(roles),
                      escape(domains), f"{p['first_contribution'] or '?'} → {p['latest_contribution'] or '?'}")
    console.print(table)
