"""The cascade: after a merge, flag the beliefs and positions resting on what changed.

Entry point: `plan_cascade(vault, changed, commit=…, when=…, why=…) → CascadePlan` — pure: it
reads the vault and returns texts (flag notes, `status: under_review` lines, link repairs of
the touched notes) for the caller to write and commit. `read_flags(vault)` lists flag notes;
`plan_resolution(vault, ids, when=…)` plans closing them (also pure).
"""

from teleo.cascade.flags import read_flags, render_flag
from teleo.cascade.graph import DependencyGraph, Target
from teleo.cascade.models import CascadePlan, Change, ChangedVia, Flag
from teleo.cascade.plan import plan_cascade, priority_of
from teleo.cascade.resolve import ResolutionPlan, plan_resolution

__all__ = [
    "CascadePlan", "Change", "ChangedVia", "DependencyGraph", "Flag", "ResolutionPlan", "Target", "plan_cascade",
    "plan_resolution", "priority_of", "read_flags", "render_flag",
]
