"""`teleo proposals`: the open proposals — branches of every proposal kind (`extract/*`, `flags/*`, …;
`teleo.repo.kinds`) not merged into main."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, example, fail, vault_from


def register(app: typer.Typer) -> None:
    app.command("proposals", epilog=EPILOG)(proposals)


EPILOG = example(
    "teleo proposals",
    "teleo proposals --base main",
    "teleo proposals --format json | jq '.proposals[].branch'",
)


def proposals(
    ctx: typer.Context,
    base: str = typer.Option(None, "--base", "-b", help="The branch proposals merge into (default: main)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """List the open proposals (branches not merged into the base): extractions (extract/<source>),
    flag resolutions (flags/<agent>/<flag-id>) and every other proposal kind, with their agent,
    source, files and when they were made. A source with an open proposal is not extracted again
    unless asked."""
    from teleo.repo.discover import NotARepository
    from teleo.pipeline.proposals import is_null_result, vault_proposals
    from teleo.repo.branches import BranchError

    vault = vault_from(ctx)
    try:
        found = vault_proposals(vault, base=base)
    except (NotARepository, BranchError) as exc:
        fail(str(exc))
    if output is OutputFormat.json:
        payload = {"vault": str(vault.root), "proposals": [p.model_dump(mode="json") for p in found]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    if not found:
        console.print("No open proposals.")
        return
    grid = Table(title=f"Open proposals ({len(found)}: {_counts(found, is_null_result)})")
    for name in ("branch", "agent", "source", "files", "created"):
        grid.add_column(name, overflow="fold")
    for proposal in found:
        files = "\n".join(escape(f) for f in proposal.files[:8])
        if len(proposal.files) > 8:
            files += f"\n… {len(proposal.files) - 8} more"
        grid.add_row(
            escape(proposal.branch), escape(proposal.agent or (f"{proposal.contributor} (person)" if proposal.contributor else "?")), escape(proposal.source or "?"), files,
            proposal.created[:19].replace("T", " "),
        )
    console.print(grid)


def _counts(found, is_null_result) -> str:
    """`2 with claims or enrichments, 1 null result` — then `, 1 flag resolution` for each other kind present."""
    from teleo.repo.kinds import KINDS

    extractions = [p for p in found if p.kind in ("extract", None)]
    null = sum(1 for p in extractions if is_null_result(p))
    parts = [f"{len(extractions) - null} with claims or enrichments", f"{null} null result{'' if null == 1 else 's'}"]
    for kind in KINDS:
        count = sum(1 for p in found if p.kind == kind.name)
        if kind.name != "extract" and count:
            parts.append(f"{count} {kind.label}{'' if count == 1 else 's'}")
    return ", ".join(parts)
