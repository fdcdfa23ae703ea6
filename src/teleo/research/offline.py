"""The offline researcher: a `ResearchPlan` from the candidates by counting words, no model.

It follows the reference's priority order at its first step only — the disconfirmation search on
the keystone belief — and says so. It keeps the best-ranked candidates (up to 15), and for each
writes Agent Notes from what can be found without judgement: the keystone words the item shares,
the sentence sharing most of them (the extraction hint), a sentence that pairs a keystone word with
a contrast word (`but`, `fails`, `no evidence`, …) as what pushes against the belief, the grounding
claims it shares words with (KB connections), and where it came from. What needs reading for
meaning (surprise, what was expected and missing, a confidence shift) is written as not judged
offline, never invented.
"""

from __future__ import annotations

import re
from collections import Counter

from teleo.contract.research import MAX_SOURCES, FollowUp, JournalEntry, ResearchPlan, SourceNotes
from teleo.notes.untrusted import one_line
from teleo.research.context import Belief, Candidate, Context, words

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CONTRAST = re.compile(r"\b(but|however|yet|despite|although|fail\w*|no evidence|not|never|contrary|unlike|"
                       r"declin\w*|worse|fell|drop\w*|against|weak\w*|doubt\w*|counter\w*|overestimat\w*|wrong)\b",
                       re.IGNORECASE)
NOT_JUDGED = "Not judged offline (the offline researcher matches words; it does not read for meaning)."


def plan_offline(ctx: Context) -> ResearchPlan:
    keystone = ctx.keystone
    chosen = ctx.candidates[:MAX_SOURCES]
    notes = [_notes(ctx, candidate) for candidate in chosen]
    pushing = [(c, s) for c in chosen if (s := pushing_sentence(c.body, keystone))]
    findings = [f"“{one_line(best_sentence(c.body, keystone) or '', 240)}” ({c.item.author}, {c.id})"
                for c in chosen if c.shared][:5]
    return ResearchPlan(
        keystone=keystone.number, disconfirmation_target=_target(keystone), question=_question(keystone),
        why_this_question=_why(ctx, chosen), sources=notes, key_findings=findings,
        belief_impact=_impact(keystone, chosen, pushing), follow_up=_follow_up(ctx, chosen),
        journal=_journal(ctx, chosen, pushing, findings),
    )


def sentences(text: str) -> list[str]:
    return [one_line(s) for s in _SENTENCE.split(text) if len(one_line(s)) >= 20]


def best_sentence(text: str, belief: Belief) -> str | None:
    """The sentence sharing most words with the belief (the first of equals); None when none shares one."""
    terms = belief.terms()
    scored = [(len(words(s) & terms), -i, s) for i, s in enumerate(sentences(text))]
    best = max(scored, default=None)
    return best[2] if best and best[0] > 0 else None


def pushing_sentence(text: str, belief: Belief) -> str | None:
    """A sentence pairing a word of the belief with a contrast word: a candidate counter-example."""
    terms = belief.terms()
    for sentence in sentences(text):
        if words(sentence) & terms and _CONTRAST.search(sentence):
            return sentence
    return None


def _target(belief: Belief) -> str:
    return belief.disconfirmation or f"evidence that Belief {belief.number} — {belief.statement} — does not hold"


def _question(belief: Belief) -> str:
    if belief.disconfirmation:
        return one_line(f"Does the new material meet Belief {belief.number}'s disconfirmation target: "
                        f"{belief.disconfirmation.rstrip('.')}?", 400)
    return one_line(f"What in the new material would show that Belief {belief.number} — {belief.statement} — is wrong?",
                    400)


def _why(ctx: Context, chosen: list[Candidate]) -> str:
    keystone = ctx.keystone
    marked = ("it is marked load-bearing" if keystone.load_bearing
              else "no belief is marked load-bearing, and research sessions attack Belief 1")
    sharing = sum(1 for c in chosen if c.shared)
    text = (f"Disconfirmation search comes first in the research priority order, so the question attacks the "
            f"keystone, Belief {keystone.number} ({marked}). {sharing} of the {len(chosen)} sources kept share "
            f"words with it.")
    if ctx.previous_threads:
        text += (f" The previous session ({ctx.previous}) left {len(ctx.previous_threads)} active thread(s); they are "
                 "carried below, not pursued: offline, a session reads only the raw dumps.")
    return text


def _notes(ctx: Context, candidate: Candidate) -> SourceNotes:
    keystone = ctx.keystone
    best = best_sentence(candidate.body, keystone)
    pushing = pushing_sentence(candidate.body, keystone)
    connections = _connections(ctx, candidate)
    if candidate.shared:
        why = (f"It bears on Belief {keystone.number} ({keystone.statement}): it shares "
               f"{', '.join(candidate.shared[:6])} with it.")
    else:
        why = (f"It shares no word with Belief {keystone.number}; kept as one of the best-ranked items left "
               "(tier, likes), low priority.")
    item = candidate.item
    account = ctx.network.account(item.handle)
    where = [item.author]
    if account is not None:
        where.append(f"a {account.tier} account in network.json" + (f" ({one_line(account.why, 160)})" if account.why else ""))
    where.append(f"dated {item.date}" if item.date else "undated")
    if item.likes is not None:
        where.append(f"{item.likes} likes")
    hint = f"Start from: “{one_line(best, 300)}”" if best else "No sentence shares a word with the keystone; read it whole."
    return SourceNotes(
        id=candidate.id, why_matters=why,
        surprised=(f"It pushes against the keystone: “{one_line(pushing, 300)}”" if pushing else NOT_JUDGED),
        expected_not_found=NOT_JUDGED, kb_connections=connections, extraction_hints=hint,
        context="; ".join(where) + f"; raw item {item.origin}.",
        primary_connection=connections[0] if connections else f"Belief {keystone.number} — {keystone.statement}",
        why_archived=f"Evidence for this session's question on Belief {keystone.number}"
                     + (" — it may meet the disconfirmation target." if pushing else "."),
        extraction_hint=hint,
    )


def _connections(ctx: Context, candidate: Candidate) -> list[str]:
    """Grounding titles of the agent's beliefs that share words with the candidate, most shared first (≤ 3)."""
    body = words(candidate.body)
    titles = dict.fromkeys(t for b in [ctx.keystone, *ctx.beliefs] for t in b.grounding)
    scored = sorted(((len(words(t) & body), t) for t in titles), key=lambda p: -p[0])
    return [t for score, t in scored if score >= 2][:3]


def _impact(keystone: Belief, chosen: list[Candidate], pushing: list[tuple[Candidate, str]]) -> str:
    if not pushing:
        return (f"Belief {keystone.number}: none of the {len(chosen)} sources pairs its words with a contrast word, "
                "so nothing here pushes against it by the offline reading; no confidence shift recorded.")
    listed = "; ".join(f"{c.id} {c.title}" for c, _ in pushing[:5])
    return (f"Belief {keystone.number}: {len(pushing)} of the {len(chosen)} sources hold a sentence that pushes against "
            f"it ({listed}). Whether any meets the disconfirmation target is left to a reader: the offline session "
            "matches words, it does not weigh evidence.")


def _follow_up(ctx: Context, chosen: list[Candidate]) -> FollowUp:
    by_handle = Counter(c.item.handle for c in chosen if c.item.handle)
    active = []
    for handle, count in by_handle.most_common(3):
        shared = Counter(w for c in chosen if c.item.handle == handle for w in c.shared[:4])
        about = ", ".join(w for w, _ in shared.most_common(3)) or "other topics"
        active.append(f"[@{handle}] {count} item(s) this session on {about}: read the next posts for the same thread.")
    stem = (ctx.previous or "").rsplit("/", 1)[-1].removesuffix(".md")
    active += [f"[carried from {stem}] {thread}" for thread in ctx.previous_threads[:3]]
    dead = []
    archived = [s for s in ctx.skipped if "already archived" in s]
    if archived:
        dead.append(f"[already archived] {len(archived)} item(s) of the dumps were archived before "
                    f"(e.g. {archived[0]}): don't pull them again.")
    unrelated = [c for c in ctx.candidates if not c.shared]
    if unrelated:
        dead.append(f"[no shared words] {len(unrelated)} item(s) share no word with Belief {ctx.keystone.number} "
                    f"(e.g. {unrelated[0].item.origin}): not a disconfirmation lead.")
    branching = []
    for belief in ctx.beliefs:
        if belief.number == ctx.keystone.number:
            continue
        touching = [c for c in chosen if len(words(c.body) & belief.terms()) >= 2]
        if touching:
            branching.append((len(touching), belief))
    points = [f"[Belief {b.number}: {b.statement}] {n} of the archived sources also bear on it. Direction A: read "
              f"them against Belief {b.number} next session. Direction B: keep to Belief {ctx.keystone.number} "
              "until its target is met or ruled out."
              for n, b in sorted(branching, key=lambda p: (-p[0], p[1].number))[:2]]
    return FollowUp(active_threads=active or ["none this session"], dead_ends=dead or ["none this session"],
                    branching_points=points or ["none this session"])


def _journal(ctx: Context, chosen: list[Candidate], pushing: list[tuple[Candidate, str]], findings: list[str]
             ) -> JournalEntry:
    if pushing:
        candidate, sentence = pushing[0]
        result = (f"{len(pushing)} of {len(chosen)} sources push against it by the offline reading (words, not weight); "
                  f"first: “{one_line(sentence, 240)}” ({candidate.title}).")
    else:
        result = f"Nothing in {len(chosen)} sources pushes against it by the offline reading."
    common = Counter(w for c in chosen for w in c.shared)
    pattern = (f"The keystone's words most present in the new material: {', '.join(w for w, _ in common.most_common(5))}."
               if common else "The new material does not use the keystone's words.")
    return JournalEntry(disconfirmation_result=result, key_finding=findings[0] if findings else "none",
                        pattern_update=pattern,
                        confidence_shift="None recorded: the offline session gathers and sorts evidence; it does "
                                         "not re-weigh beliefs.")
