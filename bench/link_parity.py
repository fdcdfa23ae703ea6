"""Link repair parity: what the reference's stripper would destroy vs what `teleo fix` repairs.

For every [[link]] of a vault this classifies: would the reference's exact, claims-only
stripper remove it? Does Teleo's resolver resolve it (and how)? Does `teleo fix` repair it?
Nothing is written. Usage: python bench/link_parity.py [VAULT]  (default: the corpus)
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from teleo.gates.fixes import safe_fixes
from teleo.notes import Kind, find_links
from teleo.vault import Vault

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "corpora" / "teleo-codex"


def main() -> None:
    vault = Vault.open(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    notes = vault.notes()
    claim_titles = {n.title for n in notes if n.kind is Kind.CLAIM}
    tally: Counter = Counter()
    for note in notes:
        for link in find_links(note.doc):
            stripped = link.raw.strip() not in claim_titles
            resolution = vault.resolver.resolve(link.target, note.path)
            if resolution.resolved:
                state = f"resolves ({resolution.method})"
            elif resolution.unsafe:
                state = "unsafe"
            else:
                suggestion = vault.resolver.suggest(link.target)
                state = "truncated (fix completes)" if suggestion and suggestion.reason == "prefix" else "unresolved"
            tally[(stripped, state)] += 1
    fixes = [f for f in safe_fixes(vault) if not f.refused]
    repaired = sum((f.kinds for f in fixes), Counter())

    table = Table(title=f"link parity — {vault.root.name}")
    table.add_column("Teleo's resolver says")
    table.add_column("stripper keeps", justify="right")
    table.add_column("stripper strips", justify="right")
    for state in sorted({s for _, s in tally}):
        table.add_row(state, str(tally[(False, state)]), str(tally[(True, state)]))
    Console().print(table)
    stripped_valid = sum(n for (s, state), n in tally.items() if s and state.startswith("resolves"))
    stripped_total = sum(n for (s, _), n in tally.items() if s)
    print(f"links: {sum(tally.values())}; the stripper would remove {stripped_total}, "
          f"of which {stripped_valid} resolve under Teleo's resolver (information destroyed)")
    print(f"teleo fix repairs: {dict(repaired)} in {len(fixes)} files; links removed: 0")


if __name__ == "__main__":
    main()
