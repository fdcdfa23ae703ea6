"""Flag notes: one markdown note per flag, `agents/<agent>/flags/<YYYY-MM-DD>-<slug>.md`.

The frontmatter is the record (`type: flag`, checked by the gates like every kind, see
`teleo.notes.schema.SPECS[Kind.FLAG]`); the body says the same for people, with links to the
target and the changed notes in path form (`[[domains/x/title|title]]`, which never turns
ambiguous). A flag is resolved by setting `status: resolved` (and optionally `resolved:
<date>`); it is never deleted, so the cascade trail stays in git.

```
---
type: flag
id: 2026-03-10-alignment-has-to-be-pursued-at-the-level-of-the-sociotechnical-system
agent: theseus
priority: normal
status: open
target: agents/theseus/beliefs/alignment has to be ….md
target_kind: belief
changed:
- path: domains/ai-alignment/model-level alignment is insufficient ….md
  change: extend
  chain:
  - domains/ai-alignment/model-level alignment is insufficient ….md
  - agents/theseus/beliefs/alignment has to be ….md
why: 'merge extract/2026-03-10-…: enrichment from …'
when: 2026-03-10
commit: 3f2a…
created: 2026-03-10
---
```

`why` is text from elsewhere (a commit message, a source title): it is stored as data, one line
with its `[[`/`]]` defused so that it adds no link to the vault (`teleo.notes.untrusted.inert_line`).
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import ValidationError

from teleo.cascade.models import PRIORITIES, Flag
from teleo.notes import Kind, Note
from teleo.notes.document import dump_value
from teleo.notes.untrusted import inert_line
from teleo.vault import Vault

FLAGS_FOLDER = "flags"
MAX_SLUG = 80
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_LINK_UNSAFE = re.compile(r"[\[\]|#\n\r]")


def flag_folder(agent: str) -> str:
    return f"agents/{agent}/{FLAGS_FOLDER}"


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens; cut at a word boundary within MAX_SLUG characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-") or "flag"
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug


def render_flag(flag: Flag, titles: dict[str, str]) -> str:
    """The note text of `flag`; `titles` maps the paths it names to their display titles."""
    record = flag.model_dump(mode="json", exclude={"path"}, exclude_none=True)
    order = ("type", "id", "agent", "priority", "status", "target", "target_kind", "section",
             "changed", "why", "when", "commit", "created", "resolved", "resolution")
    record["type"] = "flag"
    frontmatter = "".join(dump_value(key, record[key], flow_lists=False) for key in order if key in record)
    return f"---\n{frontmatter}---\n\n{_body(flag, titles)}"


def _body(flag: Flag, titles: dict[str, str]) -> str:
    target_title = flag.section or titles.get(flag.target, flag.target)
    lines = [
        f"# Review flag: {_plain(target_title)}",
        "",
        f"The {flag.target_kind} {_link(flag.target, titles)}"
        + (f" (section \"{_plain(flag.section)}\")" if flag.section else "")
        + f" rests on notes that changed on {flag.when} in commit `{flag.commit[:12]}`;"
        f" its owner, {flag.agent}, should re-read the grounding with the new evidence."
        f" Priority: **{flag.priority}**.",
        "",
        "## What changed",
        "",
    ]
    for via in flag.changed:
        path_chain = " → ".join(_link(step, titles) for step in via.chain[1:-1])
        lines.append(f"- {_link(via.path, titles)} — {via.change.value}")
        if len(via.chain) > 2:
            lines.append(f"  - through: {path_chain}")
    lines += [
        "",
        "## Why",
        "",
        f"> {_plain(flag.why) or 'no reason given'}",
        "",
        "## Resolving",
        "",
        "The owner decides: no change (say why), update the "
        + flag.target_kind + ", or abandon it. Then `teleo flags resolve " + flag.id + "` sets `status: resolved`"
        + " here" + (" and the belief's `status` back to `active` (`--status revised` or `abandoned`)."
                    if flag.target_kind == "belief" and not flag.section else "."),
        "Flags inform; the cascade never edits a conclusion.",
        "",
    ]
    return "\n".join(lines)


def _plain(text: str | None) -> str:
    return inert_line(text or "")


def _link(path_or_key: str, titles: dict[str, str]) -> str:
    """A path-form wiki link with the title as alias; code text when the name cannot be linked."""
    path, _, section = path_or_key.partition("#")
    title = titles.get(path_or_key) or titles.get(path) or path.rsplit("/", 1)[-1].removesuffix(".md")
    if _LINK_UNSAFE.search(path) or _LINK_UNSAFE.search(title) or not path.endswith(".md"):
        return f"`{path_or_key}`"
    link = f"[[{path[:-3]}|{title}]]"
    return f"{link} § {section}" if section else link


def read_flags(vault: Vault) -> tuple[list[Flag], list[str]]:
    """Every flag note of the vault, and a message for each note that is not a valid flag."""
    flags: list[Flag] = []
    problems: list[str] = []
    for path in vault.markdown_paths():
        if not (path.startswith("agents/") and f"/{FLAGS_FOLDER}/" in path):
            continue
        note = vault.note(path)
        if note.kind is not Kind.FLAG:
            continue
        flag, problem = flag_from_note(note)
        if flag is not None:
            flags.append(flag)
        else:
            problems.append(problem)
    return flags, problems


def flag_from_note(note: Note) -> tuple[Flag | None, str]:
    """The flag a note records, or None and why it is not one (file and field named)."""
    if note.all_problems:
        first = note.all_problems[0]
        return None, f"{note.path}:{first.line}: {first.message}"
    data = {key: value for key, value in note.data.items() if key != "type"}
    for key in ("when", "created", "commit", "id", "resolved"):
        if key in data and data[key] is not None:
            data[key] = str(data[key])
    try:
        flag = Flag.model_validate({**data, "path": note.path})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "frontmatter"
        line = note.doc.line_of(str(error["loc"][0])) if error["loc"] else 1
        return None, f"{note.path}:{line}: field '{where}': {error['msg']}"
    return flag, ""


def select_flags(
    flags: list[Flag], *, agent: str | None = None, priority: str | None = None, include_resolved: bool = False,
) -> list[Flag]:
    """`flags` filtered, then ordered by agent, priority (highest first), date (newest first) and id."""
    chosen = [
        flag for flag in flags
        if (include_resolved or flag.status == "open")
        and (agent is None or flag.agent.lower() == agent.lower())
        and (priority is None or flag.priority == priority)
    ]
    return sorted(chosen, key=lambda f: (f.agent, PRIORITIES.index(f.priority), _newest_first(f.when), f.id))


def _newest_first(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)
