"""`teleo forge`: proposals as pull requests on GitHub or Forgejo/Gitea — `sync` and `status`."""

from __future__ import annotations

import json
from contextlib import nullcontext

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import FAILED, OutputFormat, console, err_console, example, fail, vault_from


def register(app: typer.Typer) -> None:
    group = typer.Typer(rich_markup_mode="rich", no_args_is_help=True,
                        context_settings={"help_option_names": ["-h", "--help"]})
    group.callback(epilog=EPILOG)(forge)
    group.command("sync", epilog=EPILOG)(sync)
    group.command("status", epilog=EPILOG)(status)
    app.add_typer(group, name="forge")


EPILOG = example(
    "export TELEO_FORGE_TOKEN=…        # the variable \\[forge] token_env names",
    "teleo forge status",
    "teleo forge sync",
    "teleo forge sync extract/2026-01-02-orbitalreport-launch-costs --no-merge",
    "teleo forge sync --format json | jq '.proposals[] | {branch, pr, merge}'",
) + (
    "\n\n[bold]teleo.toml[/]\n\n  \\[forge]\n\n  kind = \"github\"   # or \"forgejo\" / \"gitea\"\n\n"
    "  repo = \"owner/name\"\n\n  url = \"https://git.example.org\"   # Forgejo/Gitea; GitHub: api.github.com by default\n\n"
    "  remote = \"origin\"   # the git remote that is that repository\n\n"
    "  token_env = \"TELEO_FORGE_TOKEN\"   # never the token itself\n\n"
    "  accounts = [\"teleo-bot\"]   # only their verdict markers count\n\n"
    "  people = [\"maintainer\"]   # their reviews on the head are verdicts\n\n"
    "  person_stands_for_evaluator = false\n\n"
    "[bold]Exit codes[/]\n\n  0  every proposal was synced (merged or waiting)\n\n"
    "  1  a proposal failed or its merge was refused (a 409: the branch moved past the head judged)\n\n"
    "  2  wrong usage: no \\[forge] table, no token, the forge refused the token (401)"
)


def forge() -> None:
    """Proposals as pull requests on GitHub or Forgejo/Gitea: each branch pushed and one pull request
    opened, verdicts posted as reviews with the reference's markers, people's reviews on the head read
    as verdicts, merges through the forge's API when the merge gate passes."""


def _run(ctx: typer.Context, proposals: list[str] | None, *, read_only: bool, merge: bool = True):
    from teleo.forge import ForgeAuthError, ForgeConfigError, ForgeError
    from teleo.forge.sync import forge_status
    from teleo.pipeline.run import sync_with_forge
    from teleo.repo.remote import RemoteError
    from teleo.review import ReviewError

    vault = vault_from(ctx)
    branches = [p.removeprefix("refs/heads/") for p in proposals] if proposals else None
    try:
        if read_only:
            return forge_status(vault, branches)
        return sync_with_forge(vault, branches, merge=merge)
    except (ForgeConfigError, ForgeAuthError) as exc:
        fail(str(exc))
    except (ForgeError, RemoteError, ReviewError) as exc:
        fail(str(exc), FAILED)


def sync(
    ctx: typer.Context,
    proposals: list[str] | None = typer.Argument(None, metavar="[PROPOSAL]...", help="Branches (default: every open proposal)."),
    no_merge: bool = typer.Option(False, "--no-merge", help="Push, open and review; merge nothing."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    r"""Push each proposal, open or find its pull request, post verdicts as reviews, read people's, merge.

    Each open proposal's branch is pushed to \[forge] remote (never over commits made there); its one
    pull request is found, or opened with the reference's title and body; each agent's verdict on the
    head is posted once as a review ending with <!-- VERDICT:AGENT:APPROVE|REQUEST_CHANGES -->; the
    reviews of \[forge] people and the markers of \[forge] accounts on the head are read as verdicts;
    and the forge merges it through its API, at exactly that head, when the merge gate passes (a 409:
    the branch moved, nothing is merged). Rate limits are waited out (at most \[forge] max_wait_s); the
    token is read from the variable \[forge] token_env names and never printed."""
    with err_console.status("syncing with the forge…") if output is OutputFormat.text else nullcontext():
        report = _run(ctx, proposals, read_only=False, merge=not no_merge)
    _print(report, output)
    failed = any(p.merge in ("failed", "stale", "refused") for p in report.proposals)
    raise typer.Exit(FAILED if failed else 0)


def status(
    ctx: typer.Context,
    proposals: list[str] | None = typer.Argument(None, metavar="[PROPOSAL]...", help="Branches (default: every open proposal)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
) -> None:
    """What sync would find, changing nothing: pull requests, the verdicts that count, what would merge.

    Each open proposal's pull request, the forge's verdicts on its head that count and those that do
    not (and why), and whether it would merge; pushes, opens, posts and merges nothing."""
    _print(_run(ctx, proposals, read_only=True), output)


def _print(report, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))
    else:
        print_forge(report)


def print_forge(report) -> None:
    """The table of a `ForgeReport` (also `teleo run`'s merge stage with [forge]), then the reasons and what was ignored."""
    if not report.proposals:
        console.print("No open proposals.")
        return
    table = Table(title=f"{report.forge} {report.repo}", title_justify="left")
    for name in ("proposal", "pull request", "pushed", "posted", "merge"):
        table.add_column(name, overflow="fold")
    for p in report.proposals:
        pr = f"#{p.pr}{' (new)' if p.opened else ''}" if p.pr else "—"
        table.add_row(escape(p.branch), pr, escape(p.pushed), escape(", ".join(p.posted)), p.merge.replace("_", " "))
    console.print(table)
    for p in report.proposals:
        for line in p.reasons[:6]:
            console.print(f"[bold]{escape(p.branch)}[/]: {escape(line)}")
        for line in (p.forge_verdicts or {}).get("ignored", [])[:6]:
            console.print(f"[dim]{escape(p.branch)}: ignored {escape(line)}[/]")
    for cascade in report.cascades:
        what = cascade.get("error") or cascade.get("summary") or "nothing to flag"
        console.print(f"cascade of {cascade['merge'][:12]}: {escape(what)}")
    if report.cascade_error:
        console.print(f"[yellow]{escape(report.cascade_error)}[/]")
