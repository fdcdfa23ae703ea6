"""A synthetic N× copy of a vault, with every link that resolved still resolving.

    python bench/synth.py [--copies 20] [--corpus PATH] [--out DIR] [--suggestions] [--findings]

Copy 0 is the source, byte for byte. Copy k ≥ 1 keeps the layout (domains/,
inbox/archive/, ... are what the config and the rules key on) and renames
every file `stem.md` → `v{k} stem.md` (a dated source
`2026-01-02-author-slug.md` → `2026-01-02-v{k}-author-slug.md`, so it keeps
the archive naming convention); inside copy k every `[[link]]` target gets
the same treatment on its last segment, keeping its form:

    [[futarchy-enables-x]]              → [[v3 futarchy-enables-x]]
    [[Title|alias]] / [[Title#heading]] → [[v3 Title|alias]] / [[v3 Title#heading]]
    [[domains/health/_map]]             → [[domains/health/v3 _map]]
    [[title.md]]                        → [[v3 title.md]]

so exact, case-insensitive, normalised, path and basename resolutions all
land on the note of the same copy, and the ambiguity rule (`[[_map]]` → the
map of the note's own folder) sees the same candidates per copy. Links that
did not resolve still do not, and still cost a suggestion lookup. An H1 or a
frontmatter `title:` that repeats the stem, and the plain entries of a
source's trace fields (`enrichments_applied: ["title.md"]`), are retitled
the same way, so title-h1 and source-trace find in copy k what they find in
the source. A slug title (`a-b-c`) is tagged `v{k}-a-b-c`, so the claim-quality rubric
still reads it as a slug (with a space it would be a two-word title, judged
too short and no further). An entity's identity (`entities/*`: its `name`, `handles`,
`website` and `proposal_url`) gets a ` v{k}` / `_v{k}` / `/v{k}` mark in copy
k, so entity-duplicate finds in copy k what it finds in the source, not every
copy a duplicate of the others (a name the significance rule judges keeps its
verdict, or stays as it is).

The tag is a prefix, not a ` v{k}` suffix, because lint completes truncated
links by prefix (`[[a b c d]]` → `a b c d e`): with a suffix every such
completion in copy k would fail and fall through to the (far dearer) fuzzy
search, so the copy would not be a copy of the work. With the prefix the
suggestions found scale with the copies too (`--suggestions` checks), and
so do the findings of nearly every rule (`--findings` compares them with
copies × the source). Known differences: names the kind detection keys on
(`_map.md`, `agents/x/beliefs.md`, `research-journal.md`) lose that meaning
in copies k ≥ 1, so belief-grounding finds only copy 0's; the tag is one more
title word (claim-title-proposition finds a little less, and a dated slug
title near the rubric's share of letters can fall under it: 29 more
title-not-prose at 20×); every copy's positions count towards the same agent
(position-active-count finds more).

File names must stay under 255 bytes; the corpus has stems of up to 252
bytes, so a stem (and a link's last segment) is cut to `stem_limit(copies)`
bytes, on a character boundary, before the tag is added — the same cut for
every copy, for file names and link targets alike.

Only markdown is copied; no `teleo.toml` is written (the defaults apply).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

from teleo.gates.entities import insignificant_name
from teleo.vault import normalise_title

REPO = Path(__file__).resolve().parents[1]
NAME_MAX = 255  # bytes, ext4 and most others
WIKI_LINK = re.compile(r"\[\[([^\[\]\n]+?)\]\]")  # as teleo.notes.links.WIKI_LINK
MARKER = ".synth.json"
FORMAT = 4  # bump when the copy scheme changes, so stale copies are rebuilt


def default_corpus() -> Path:
    return Path(os.environ.get("TELEO_CORPUS", REPO.parent / "shared" / "corpora" / "teleo-codex"))


def scratch_copy(src: Path, dest: Path) -> Path:
    """`src` copied to `dest` without `.git` or `.teleo`: a bench writes (caches, indexes) only
    into such a copy, never into the corpus, and no enclosing repository's history leaks in."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git", ".teleo"), symlinks=True)
    _make_writable(dest)
    return dest


def _make_writable(root: Path) -> None:
    """Owner write on every folder and file of a copy: a read-only source (the shared corpus is
    r-x) copies read-only, and Teleo then puts the index of a read-only vault in the per-user cache,
    where deleting `<copy>/.teleo` no longer makes the next build cold."""
    import stat

    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    os.chmod(root, os.stat(root).st_mode | stat.S_IWUSR)


def teleo_command() -> list[str]:
    """The installed `teleo` of the interpreter running the bench (its venv's script), else the
    same interpreter with `-m` — never whichever `teleo` comes first on PATH."""
    script = Path(sys.executable).parent / "teleo"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "teleo.cli.app"]


def markdown_files(root: Path) -> list[str]:
    """Vault-relative POSIX paths of every .md file, skipping dot folders (as the vault walk does)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in ("node_modules", "__pycache__"))
        rel = os.path.relpath(folder, root)
        for name in files:
            if name.endswith(".md") and not name.startswith("."):
                found.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    return sorted(found)


_DATED = re.compile(r"^(\d{4}([-_ ])\d{2}[-_ ]\d{2}[-_ ])")
_H1_LINE = re.compile(r"^(#[ \t]+)(.+?)([ \t#]*)$", re.MULTILINE)
_TITLE_LINE = re.compile(r"^(title:[ \t]*)(.*?)[ \t]*$", re.MULTILINE)
TRACE_FIELDS = ("claims_extracted", "enrichments", "enrichments_applied")
_TRACE_KEY = re.compile(r"^(" + "|".join(TRACE_FIELDS) + r")[ \t]*:", re.MULTILINE)
_QUOTED = re.compile(r"\"([^\"\\\n]*)\"|'([^'\n]*)'")
_BLOCK_ITEM = re.compile(r"^([ \t]*-[ \t]+)(?![\"'\[{])(.+?)[ \t]*$")


def tag(k: int, sep: str = " ") -> str:
    return f"v{k}{sep}"


def stem_limit(copies: int) -> int:
    """Longest stem (bytes) kept whole: room for `.md` and the longest tag of this run."""
    return NAME_MAX - len(".md") - len(tag(max(copies - 1, 1)).encode())


def cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    raw = text.encode("utf-8", "surrogateescape")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", "ignore")


def retitle(title: str, k: int, limit: int) -> str:
    """The title of copy k: cut, then tagged — after a leading date (`2026-01-02-v3-slug`), else in front,
    joined by a hyphen to a slug title (`v3-a-b-c`: still one slug, as the claim-quality rubric reads it),
    by a space to any other."""
    title = cut(title, limit)
    dated = _DATED.match(title)
    if dated:
        return dated.group(1) + tag(k, dated.group(2)) + title[dated.end() :]
    if " " not in title.strip() and title.count("-") >= 2:
        return tag(k, "-") + title
    return tag(k) + title


def rename(rel: str, k: int, limit: int) -> str:
    """Vault-relative path of copy k of `rel` (same folder, retitled stem)."""
    folder, _, name = rel.rpartition("/")
    new = retitle(name[:-3], k, limit) + ".md"
    return f"{folder}/{new}" if folder else new


def retitle_entry(text: str, k: int, limit: int) -> str:
    """A title as written in a link or a trace entry: `.md` kept outside the tag, spaces kept."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    ext = ""
    if core.lower().endswith(".md") and len(core) > 3:
        core, ext = core[:-3], core[-3:]
    return lead + retitle(core, k, limit) + ext + trail


def relink(raw: str, k: int, limit: int) -> str:
    """The inside of `[[raw]]` for copy k: the target's last segment retitled, form kept."""
    target, bar, alias = raw.partition("|")
    title, hash_, heading = target.partition("#")
    if not title.strip():  # [[#heading]] — a heading of the same note: leave it
        return raw
    folder, slash, last = title.rpartition("/")
    return folder + slash + retitle_entry(last, k, limit) + hash_ + heading + bar + alias


def rewrite(text: str, stem: str, k: int, limit: int, rel: str = "") -> str:
    """Copy k of a note whose stem is `stem`.

    Besides the links: an H1 or a frontmatter `title:` that repeats the stem
    repeats the new one (title-h1), and the plain-text entries of the source
    trace fields name the titles of copy k (source-trace), so the rules do
    the same work on every copy.
    """
    want = normalise_title(stem)
    frontmatter, body = split_frontmatter(text)
    if frontmatter:
        frontmatter = _TITLE_LINE.sub(lambda m: _retitle_value(m, want, k, limit), frontmatter, count=1)
        frontmatter = _retrace(frontmatter, k, limit)
        if rel.startswith("entities/"):
            frontmatter = _IDENTITY_LINE.sub(lambda m: _reidentify(m, k), frontmatter)
    if "#" in body:
        body = _H1_LINE.sub(lambda m: _retitle_h1(m, want, k, limit), body)
    return WIKI_LINK.sub(lambda m: "[[" + relink(m.group(1), k, limit) + "]]", frontmatter + body)


_IDENTITY_LINE = re.compile(r"^(name|handles|website|proposal_url)([ \t]*:[ \t]*)(.*?)([ \t]*)$", re.MULTILINE)


def _reidentify(match: re.Match, k: int) -> str:
    """An entity's name, handles or website line in copy k (see the module doc)."""
    key, colon, value, trail = match.groups()
    if key == "handles":
        if value.startswith("["):
            value = _QUOTED.sub(lambda q: _mark_quoted(q, f"_v{k}"), value)
        else:
            value = _mark_scalar(value, lambda text: text + f"_v{k}")
    elif key == "name":
        marked = _mark_scalar(value, lambda text: f"{text} v{k}")
        before, after = _scalar(value), _scalar(marked)
        if before is not None and after is not None and bool(insignificant_name(before)) == bool(insignificant_name(after)):
            value = marked
    else:
        value = _mark_scalar(value, lambda text: text.rstrip("/") + f"/v{k}")
    return key + colon + value + trail


def _scalar(value: str) -> str | None:
    """The text of a one-line scalar (quoted or plain), None for anything else."""
    if len(value) > 1 and value[0] in "\"'" and value[-1] == value[0]:
        return value[1:-1]
    if not value or value[0] in "[{|>&*!#%@`\"'" or " #" in value:
        return None
    return value


def _mark_scalar(value: str, mark) -> str:
    text = _scalar(value)
    if text is None or not text.strip():
        return value
    quote = value[0] if value[0] in "\"'" and value[-1] == value[0] and len(value) > 1 else ""
    return quote + mark(text) + quote


def _mark_quoted(match: re.Match, suffix: str) -> str:
    quote = '"' if match.group(1) is not None else "'"
    inner = match.group(1) if match.group(1) is not None else match.group(2)
    return quote + inner + suffix + quote if inner.strip() else match.group(0)


def split_frontmatter(text: str) -> tuple[str, str]:
    """(`---` … `---` block with its delimiters, rest); ("", text) when there is none."""
    if not text.startswith("---"):
        return "", text
    end = text.find("\n---", 3)
    if end < 0:
        return "", text
    end = text.find("\n", end + 4)
    end = len(text) if end < 0 else end + 1
    return text[:end], text[end:]


def _retitle_h1(match: re.Match, want: str, k: int, limit: int) -> str:
    if normalise_title(match.group(2)) != want:
        return match.group(0)
    return match.group(1) + retitle(match.group(2), k, limit) + match.group(3)


def _retitle_value(match: re.Match, want: str, k: int, limit: int) -> str:
    value = match.group(2)
    quote = value[:1] if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) > 1 else ""
    inner = value[1:-1] if quote else value
    if normalise_title(inner) != want:
        return match.group(0)
    return match.group(1) + quote + retitle(inner, k, limit) + quote


def _retrace(frontmatter: str, k: int, limit: int) -> str:
    """Retitle the plain entries (quoted, or bare block items) of the trace fields."""
    lines = frontmatter.split("\n")
    inside = False
    for index, line in enumerate(lines):
        key = _TRACE_KEY.match(line)
        if key:
            inside = True
            head, rest = line[: key.end()], line[key.end() :]
        elif inside and line[:1] in (" ", "\t", "-"):
            head, rest = "", line
        else:
            inside = False
            continue
        item = _BLOCK_ITEM.match(rest)
        if item:  # `- bare title` (apostrophes and all)
            if "[[" not in item.group(2):
                rest = item.group(1) + retitle_entry(item.group(2), k, limit)
        else:  # `- "title"`, `["a.md", "b.md"]`
            rest = _QUOTED.sub(lambda m: _requote(m, k, limit), rest)
        lines[index] = head + rest
    return "\n".join(lines)


def _requote(match: re.Match, k: int, limit: int) -> str:
    quote = '"' if match.group(1) is not None else "'"
    inner = match.group(1) if match.group(1) is not None else match.group(2)
    if "[[" in inner or not inner.strip():
        return match.group(0)
    return quote + retitle_entry(inner, k, limit) + quote


def source_signature(src: Path, files: list[str]) -> dict:
    size = 0
    mtime = 0.0
    for rel in files:
        st = (src / rel).stat()
        size += st.st_size
        mtime = max(mtime, st.st_mtime)
    return {"files": len(files), "bytes": size, "mtime": mtime}


def make_synthetic(src: Path, dest: Path, copies: int) -> dict:
    """Write `copies` copies of every markdown file of `src` into `dest` (which must be empty or absent).

    Returns the marker written to `dest/.synth.json`: copies, source, file counts.
    """
    if copies < 1:
        raise ValueError("copies must be ≥ 1")
    src = src.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty")
    files = markdown_files(src)
    limit = stem_limit(copies)
    cut_stems = 0
    written = 0
    folders: set[Path] = set()
    for rel in files:
        data = (src / rel).read_bytes()
        text = data.decode("utf-8", "surrogateescape")
        stem = rel.rpartition("/")[2][:-3]
        if len(rel.rpartition("/")[2][:-3].encode("utf-8", "surrogateescape")) > limit:
            cut_stems += 1
        for k in range(copies):
            out_rel = rel if k == 0 else rename(rel, k, limit)
            out = dest / out_rel
            if out.parent not in folders:
                out.parent.mkdir(parents=True, exist_ok=True)
                folders.add(out.parent)
            if k == 0:
                out.write_bytes(data)
            else:
                out.write_bytes(rewrite(text, stem, k, limit, rel).encode("utf-8", "surrogateescape"))
            written += 1
    marker = {
        "format": FORMAT,
        "copies": copies,
        "source": str(src),
        "source_signature": source_signature(src, files),
        "files": written,
        "stems_cut": cut_stems,
        "stem_limit_bytes": limit,
    }
    (dest / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    return marker


def reusable(dest: Path, src: Path, copies: int) -> bool:
    """Whether `dest` already holds a complete copy of this source at this many copies."""
    try:
        marker = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    src = src.resolve()
    return (
        marker.get("format") == FORMAT
        and marker.get("copies") == copies
        and marker.get("source") == str(src)
        and marker.get("source_signature") == source_signature(src, markdown_files(src))
    )


def ensure_synthetic(src: Path, dest: Path, copies: int) -> tuple[dict, bool]:
    """Reuse `dest` if its marker matches, else rebuild it. Returns (marker, reused)."""
    if reusable(dest, src, copies):
        return json.loads((dest / MARKER).read_text(encoding="utf-8")), True
    if dest.exists():
        shutil.rmtree(dest)
    building = dest.with_name(dest.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    marker = make_synthetic(src, building, copies)
    building.rename(dest)
    return marker, False


# -- verification ----------------------------------------------------------------


def link_stats(root: Path, suggestions: bool = False) -> dict:
    """Share of links that resolve with Teleo's resolver, by method; duplicate titles.

    With `suggestions`, also what the resolver suggests for each distinct
    unresolved target (slow on big vaults: that is lint's fuzzy search).
    """
    from teleo.notes.links import split_link
    from teleo.vault import Vault

    vault = Vault.open(root)
    resolver = vault.resolver
    methods: Counter[str] = Counter()
    total = resolved = 0
    unresolved: set[str] = set()
    for rel in vault.markdown_paths():
        text = (vault.root / rel).read_text(encoding="utf-8", errors="replace")
        for match in WIKI_LINK.finditer(text):
            target = split_link(match.group(1))[0]
            resolution = resolver.resolve(target, rel)
            total += 1
            if resolution.resolved:
                resolved += 1
            elif not resolution.unsafe:
                unresolved.add(target)
            methods[resolution.method or ("unsafe" if resolution.unsafe else "unresolved")] += 1
    duplicates = resolver.duplicates()
    stats = {
        "files": len(vault.markdown_paths()),
        "links": total,
        "resolved": resolved,
        "share": resolved / total if total else 0.0,
        "methods": dict(sorted(methods.items())),
        "duplicate_titles": len(duplicates),
        "unresolved_targets": len(unresolved),
    }
    if suggestions:
        found = [resolver.suggest(target) for target in sorted(unresolved)]
        stats["suggestions"] = dict(sorted(Counter(s.reason for s in found if s is not None).items()))
    return stats


# -- synthetic claims (a large vault of small generated notes) ---------------------

CLAIMS_MARKER = ".claims.json"
CLAIMS_FORMAT = 1  # bump when the generator changes, so stale vaults are regenerated
CLAIM_DOMAINS = ("ai-alignment", "entertainment", "health", "internet-finance", "space-development")
CONFIDENCES = ("proven", "likely", "experimental", "speculative")
_WORD = re.compile(r"[a-z][a-z]{2,}")
_STOP = frozenset(
    "the and for that this with are from was were but not have has had its into than then they them their "
    "there these those which what when where who whom will would can could should may might also been being "
    "such each other more most some any all our out over under about because while only just very".split()
)


def corpus_vocabulary(src: Path, size: int = 6000) -> tuple[list[str], list[int]]:
    """The `size` commonest words (3+ letters, lower-case ASCII, no stop words) of `src`'s markdown,
    sorted by falling count then alphabetically, with their cumulative counts (for `random.choices`)."""
    counts: Counter[str] = Counter()
    for rel in markdown_files(src):
        text = (src / rel).read_text(encoding="utf-8", errors="replace").lower()
        counts.update(w for w in _WORD.findall(text) if w not in _STOP)
    common = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]
    words = [w for w, _ in common]
    cumulative, total = [], 0
    for _, n in common:
        total += n
        cumulative.append(total)
    return words, cumulative


def make_claims(src: Path, dest: Path, count: int, seed: int = 1) -> dict:
    """Write `count` small claim notes into `dest/domains/<domain>/` (dest empty or absent).

    Each note: frontmatter (type claim, domain, description, confidence, source,
    created), an H1 title of 6–12 words, a paragraph of 60–120 words and 2–4
    `[[links]]` to other generated titles. Words are drawn from the corpus
    vocabulary with its frequencies, by a seeded generator: same source, count
    and seed → same bytes. Titles are unique (case-insensitively).
    """
    import random

    src = src.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty")
    words, cumulative = corpus_vocabulary(src)
    rng = random.Random(seed)
    choices = rng.choices
    titles: list[str] = []
    seen: set[str] = set()
    while len(titles) < count:
        title = " ".join(choices(words, cum_weights=cumulative, k=rng.randint(6, 12)))
        if title not in seen:
            seen.add(title)
            titles.append(title)
    for domain in CLAIM_DOMAINS:
        (dest / "domains" / domain).mkdir(parents=True, exist_ok=True)
    links = 0
    for i, title in enumerate(titles):
        domain = CLAIM_DOMAINS[i % len(CLAIM_DOMAINS)]
        body = choices(words, cum_weights=cumulative, k=rng.randint(60, 120))
        body[0] = body[0].capitalize()
        targets = [titles[rng.randrange(count)] for _ in range(rng.randint(2, 4))]
        targets = [t for t in targets if t != title]
        links += len(targets)
        description = " ".join(choices(words, cum_weights=cumulative, k=rng.randint(10, 18)))
        text = (
            f"---\ntype: claim\ndomain: {domain}\ndescription: {description}\n"
            f"confidence: {CONFIDENCES[i % len(CONFIDENCES)]}\nsource: \"synthetic claim {i}\"\n"
            f"created: 2026-{1 + i % 12:02d}-{1 + i % 28:02d}\n---\n\n# {title}\n\n"
            + " ".join(body) + ".\n\n---\n\nRelevant Notes:\n"
            + "".join(f"- [[{t}]]\n" for t in targets)
        )
        with open(dest / "domains" / domain / f"{title}.md", "w", encoding="utf-8") as handle:
            handle.write(text)
    marker = {
        "format": CLAIMS_FORMAT, "count": count, "seed": seed, "source": str(src),
        "source_signature": source_signature(src, markdown_files(src)), "files": count, "links": links,
        "vocabulary": len(words),
    }
    (dest / CLAIMS_MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    return marker


def ensure_claims(src: Path, dest: Path, count: int, seed: int = 1) -> tuple[dict, bool]:
    """Reuse `dest` if its claims marker matches (format, count, seed, source), else regenerate it."""
    src = src.resolve()
    try:
        marker = json.loads((dest / CLAIMS_MARKER).read_text(encoding="utf-8"))
        if (
            marker.get("format") == CLAIMS_FORMAT and marker.get("count") == count and marker.get("seed") == seed
            and marker.get("source") == str(src)
            and marker.get("source_signature") == source_signature(src, markdown_files(src))
        ):
            return marker, True
    except (OSError, ValueError):
        pass
    if dest.exists():
        shutil.rmtree(dest)
    building = dest.with_name(dest.name + ".building")
    if building.exists():
        shutil.rmtree(building)
    marker = make_claims(src, building, count, seed)
    building.rename(dest)
    return marker, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--out", type=Path, default=None, help="default: bench/out/synth-{copies}")
    parser.add_argument("--suggestions", action="store_true", help="also compare lint's suggestions (slow)")
    parser.add_argument("--findings", action="store_true", help="also compare lint's findings per rule (slow)")
    args = parser.parse_args(argv)
    out = args.out or REPO / "bench" / "out" / f"synth-{args.copies}"
    marker, reused = ensure_synthetic(args.corpus, out, args.copies)
    print(f"{'reused' if reused else 'wrote'} {out}: {marker['files']} files ({marker['stems_cut']} stems cut per copy)")
    original = link_stats(args.corpus, args.suggestions)
    synthetic = link_stats(out, args.suggestions)
    for name, stats in (("original", original), (f"synthetic {args.copies}×", synthetic)):
        print(
            f"{name:>14}: {stats['files']:>6} files {stats['links']:>7} links, "
            f"{stats['share']:.4%} resolve; duplicate titles {stats['duplicate_titles']}; "
            f"distinct unresolved {stats['unresolved_targets']}; {stats['methods']}"
            + (f"; suggestions {stats['suggestions']}" if "suggestions" in stats else "")
        )
    same = abs(original["share"] - synthetic["share"]) < 1e-9
    if args.findings:
        from teleo.gates import check
        from teleo.vault import Vault

        base = check(Vault.open(args.corpus)).summary.by_rule
        copy = check(Vault.open(out)).summary.by_rule
        print(f"{'rule':<28} {'corpus':>7} {'×' + str(args.copies):>8} {'synthetic':>10}")
        for rule in sorted(set(base) | set(copy)):
            want, got = base.get(rule, 0) * args.copies, copy.get(rule, 0)
            print(f"{rule:<28} {base.get(rule, 0):>7} {want:>8} {got:>10}{'' if want == got else '  ≠'}")
    print("resolving share kept" if same else "resolving share CHANGED")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
