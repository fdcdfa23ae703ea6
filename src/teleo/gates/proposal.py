"""The lint gate of a proposal: the errors its files add to the tree they will live in.

**Lint gate.** The files of a proposal exist only as texts, so they are
checked where they will live: a `TreeVault` of the base tip with the
proposal's texts as an overlay, whose resolver knows every title of the
tree plus the new ones. Every note rule runs on the touched files (plus the
cross-note rules that can raise an error). A proposal passes when no *error* is found in
a touched file that was not already there before: for files the proposal
modifies (enriched claims, the source) the same check runs on the base
version, and errors present before — same file, rule and message — are not
held against the proposal (an enrichment must not be blocked by an old
problem of the note it enriches). New files must be free of errors.

The alternative — writing the files into a scratch copy of the vault — would
copy or link the whole vault for every job; the overlay reads only what the
rules ask for, from git objects, and cannot leak into the working tree.

Used by the extraction job (`teleo.pipeline.job`, which lets `JUDGED_IN_REVIEW` errors through)
and by review's schema gate (`teleo.review.gates`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from teleo.gates.check import check
from teleo.gates.findings import Finding, Severity
from teleo.gates.registry import RULES
from teleo.vault.tree import TreeVault


def lint_rules() -> list[str]:
    """Every note rule, plus the cross-note rules that can raise an error.

    Only errors block a proposal, and a vault-wide rule reads the whole tree: one whose
    severity is below error (today `title-duplicate`, a warning) would cost a job most of its
    time on a large vault and could never change the verdict. The writer already turns a
    candidate that repeats an existing title into an enrichment.
    """
    return [rule.id for rule in RULES.values()
            if rule.note_check is not None or (rule.vault_check is not None and rule.severity is Severity.ERROR)]


JUDGED_IN_REVIEW = frozenset({"claim-quality"})
"""Rules whose errors do not stop an extraction job: the proposal is made and the review gates and
reviewers reject it with the findings (a model's weak claim becomes review findings, not a lost job)."""


def new_errors(base: TreeVault, files: dict[str, str], *, today: dt.date | None = None,
               skip: frozenset[str] = frozenset()) -> list[Finding]:
    """Error findings in the proposal's files that the base did not already have (see the module doc).

    `skip` leaves out rules by id (the extraction job skips `JUDGED_IN_REVIEW`)."""
    touched = sorted(files)
    rules = [rule for rule in lint_rules() if rule not in skip]
    after = check(base.with_overlay(files), touched, rules=rules, today=today)
    existing = [path for path in touched if base.exists(path)]
    baseline: Counter = Counter()
    if existing:
        before = check(base, existing, rules=rules, today=today)
        baseline.update((f.file, f.rule, f.message) for f in before.findings if f.severity is Severity.ERROR)
    found = []
    for finding in after.findings:
        if finding.severity is not Severity.ERROR:
            continue
        key = (finding.file, finding.rule, finding.message)
        if baseline[key] > 0:
            baseline[key] -= 1
            continue
        found.append(finding)
    return found
