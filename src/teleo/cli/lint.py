"""`teleo lint`: run the quality gates over notes as they stand."""

from __future__ import annotations

import json
import sys
import time
from json.encoder import encode_basestring
from collections import defaultdict
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from teleo.cli.common import OutputFormat, console, example, exit_now, fail, note_targets, vault_for_paths
from teleo.gates import RULES, Finding, Report, Severity, check
from teleo.vault import Vault

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def register(app: typer.Typer) -> None:
    app.command("lint", epilog=EPILOG)(lint)


EPILOG = example(
    "teleo lint",
    "teleo lint domains/health --severity warning",
    "teleo lint ../teleo-codex --format json > findings.json",
    "teleo lint --rule link-unresolved --rule schema-enum",
)


def lint(
    ctx: typer.Context,
    paths: Optional[list[Path]] = typer.Argument(None, help="Files or folders to check (default: the whole vault)."),
    output: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text for people, json for scripts."),
    severity: Severity = typer.Option(Severity.INFO, "--severity", "-s", help="Show findings at this level and above."),
    rule: Optional[list[str]] = typer.Option(None, "--rule", "-r", help="Run only these rule ids (repeatable)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List every rule id with its severity and exit."),
    use_cache: bool = typer.Option(
        True, "--cache/--no-cache", help="Reuse findings of unchanged notes (kept in .teleo/, derived, safe to delete)."
    ),
) -> None:
    """Check notes against the quality gates; exit 1 when any error is found."""
    if list_rules:
        _print_rules()
        return
    for name in rule or []:
        if name not in RULES:
            fail(f"unknown rule '{name}' (see teleo lint --list-rules)")
    vault = vault_for_paths(ctx, paths)
    targets, outside = note_targets(vault, paths or [])
    report = _run(vault, targets, rule, outside, use_cache)
    shown = [f for f in report.findings if f.severity.rank <= severity.rank]
    if output is OutputFormat.json:
        write_json(sys.stdout, shown, report.summary.model_dump())
    else:
        _print_findings(shown)
        _print_summary(report, vault)
    exit_now(1 if report.has_errors else 0)


def _run(
    vault: Vault, targets: list[str] | None, rules: list[str] | None, outside: list[Finding], use_cache: bool
) -> Report:
    from rich.progress import Progress

    total = len(targets) if targets is not None else len(vault.markdown_paths())
    # drawn from the progress reports, not by a refresh thread: a large lint forks its workers only
    # from a process running no other thread
    hidden = total < 2000 or not console.is_terminal
    with Progress(transient=True, console=console, auto_refresh=False, disable=hidden) as bar:
        task = bar.add_task("linting", total=total)
        drawn = [0.0]

        def progress(done: int, _: int) -> None:
            bar.update(task, completed=done)
            if time.monotonic() - drawn[0] > 0.1 or done == total:
                bar.refresh()
                drawn[0] = time.monotonic()

        report = check(vault, targets, rules=rules, cache=use_cache, progress=None if hidden else progress)
    return report.with_findings(outside)


def write_json(out, findings: list[Finding], summary: dict) -> None:
    """`{"findings": [...], "summary": {...}}` exactly as `json.dumps(..., ensure_ascii=False, indent=1)`
    writes it, a finding at a time: a lint of tens of thousands of findings never holds them all as
    dicts, nor the whole text, in memory."""
    if not findings:
        out.write('{\n "findings": [],\n')
    else:
        out.write('{\n "findings": [\n')
        last = len(findings) - 1
        encoded: dict[str, str] = {}  # rule ids, severities and the file at hand repeat from finding to finding
        for index, finding in enumerate(findings):
            out.write(_finding_json(finding, encoded) + (",\n" if index < last else "\n"))
            if len(encoded) > 256:
                encoded.clear()
        out.write(" ],\n")
    nested = json.dumps(summary, ensure_ascii=False, indent=1).replace("\n", "\n ")
    out.write(f' "summary": {nested}\n}}\n')


def _finding_json(f: Finding, encoded: dict[str, str]) -> str:
    def text(value: str | None) -> str:
        return "null" if value is None else encode_basestring(value)

    def again(value: str) -> str:
        found = encoded.get(value)
        if found is None:
            found = encoded[value] = encode_basestring(value)
        return found

    return (f'  {{\n   "rule": {again(f.rule)},\n   "severity": {again(f.severity.value)},\n   "file": {again(f.file)},\n'
            f'   "line": {f.line},\n   "message": {text(f.message)},\n   "field": {text(f.field)},\n'
            f'   "suggestion": {text(f.suggestion)}\n  }}')


def _print_findings(findings: list[Finding]) -> None:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[finding.file].append(finding)
    for path, items in by_file.items():
        console.print(f"\n[bold]{escape(path)}[/]")
        for f in items:
            console.print(
                f"  {f.line:>5}  [{_STYLE[f.severity]}]{f.severity.value:<7}[/] [dim]{f.rule:<24}[/] {escape(f.message)}"
            )
            if f.suggestion:
                console.print(f"  {'':>5}  {'':<7} {'':<24} [green]→ {escape(f.suggestion)}[/]")


def _print_summary(report: Report, vault: Vault) -> None:
    summary = report.summary
    table = Table(title=f"teleo lint — {escape(vault.root.name)}", show_edge=False)
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("findings", justify="right")
    worst: dict[str, Severity] = {}
    for finding in report.findings:
        current = worst.get(finding.rule)
        if current is None or finding.severity.rank < current.rank:
            worst[finding.rule] = finding.severity
    for rule_id, count in summary.by_rule.items():
        sev = worst.get(rule_id, RULES[rule_id].severity if rule_id in RULES else Severity.ERROR)
        table.add_row(rule_id, f"[{_STYLE[sev]}]{sev.value}[/]", str(count))
    if summary.by_rule:
        console.print()
        console.print(table)
    verdict = "[bold red]errors found[/]" if report.has_errors else "[bold green]no errors[/]"
    console.print(
        f"{summary.files} files · [bold red]{summary.errors}[/] errors · [yellow]{summary.warnings}[/] warnings · "
        f"[cyan]{summary.infos}[/] info — {verdict}"
    )


def _print_rules() -> None:
    table = Table(show_edge=False)
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("checks that")
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        table.add_row(rule.id, f"[{_STYLE[rule.severity]}]{rule.severity.value}[/]", rule.summary)
    console.print(table)
