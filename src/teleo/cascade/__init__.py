"""The cascade: after a merge, flag the beliefs and positions resting on what changed.

Entry point: `plan_cascade(vault, changed, commit=…, when=…, why=…) → CascadePlan` — pure: it
reads the vault and returns texts (flag notes, `status: under_review` lines, link repairs of
the touched notes) for the caller to write and commit. `read_flags(vault)` lists flag notes
(`flag_from_note` reads one); `list_flags(vault)` reads them where merges land (`teleo flags`);
`plan_resolution(vault, ids, when=…)` plans closing them (also pure), naming each flag by
`find_flag`, the rule `short_ids` prints by.
"""

from teleo.cascade.flags import flag_from_note, read_flags, render_flag, select_flags
from teleo.cascade.graph import DependencyGraph, Target
from teleo.cascade.listing import FlagListing, flags_source, list_flags
from teleo.cascade.models import CascadePlan, Change, ChangedVia, Flag
from teleo.cascade.plan import plan_cascade, priority_of
from teleo.cascade.resolve import ResolutionPlan, find_flag, plan_resolution, short_ids

__all__ = [
    "CascadePlan", "Change", "ChangedVia", "DependencyGraph", "Flag", "FlagListing", "ResolutionPlan", "Target",
    "find_flag", "flag_from_note", "flags_source", "list_flags", "plan_cascade", "plan_resolution", "priority_of",
    "read_flags", "render_flag", "select_flags", "short_ids",
]
