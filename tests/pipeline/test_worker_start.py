"""How workers start: forked from a supervisor that made once what every job needs, or spawned
when forking is not safe; and a vault without claims never loads the embedding model."""

from __future__ import annotations

import threading

from pipeline_helpers import FakeFactory, RecordingExtract, make_sources_vault, recorded

from teleo.pipeline import JobStore, PipelineSettings, extract_all, queue_path
from teleo.vault import tree as tree_module


def fast(**kw) -> PipelineSettings:
    base = dict(workers=2, backoff_s=0.05, max_backoff_s=0.2, lease_ttl_s=5, heartbeat_s=0.5, poll_s=0.02, tick_s=0.02)
    base.update(kw)
    return PipelineSettings(**base)


def done(vault) -> dict:
    store = JobStore(queue_path(vault.root))
    try:
        return store.counts()
    finally:
        store.close()


def test_forked_workers_reuse_the_base_tip_the_supervisor_read(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 6)
    log = tmp_path / "jobs.jsonl"
    report = extract_all(vault, provider_factory=FakeFactory(), settings=fast(start_method="fork"),
                         extract=RecordingExtract(str(log)))
    assert report.ok and done(vault)["done"] == 6
    prepared = tree_module._SHARED["last"][2]  # made here, by the supervisor, before the fork
    jobs = recorded(log)
    assert {j["process"] for j in jobs} == {"ForkProcess"}
    assert len({j["pid"] for j in jobs}) == 2
    assert {j["tree"] for j in jobs} == {id(prepared)}  # no worker walked the base tip again


def test_a_running_thread_makes_the_supervisor_spawn_instead(tmp_path):
    vault = make_sources_vault(tmp_path / "v", 4)
    log = tmp_path / "jobs.jsonl"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)  # a progress display, a server…
    other.start()
    try:
        report = extract_all(vault, provider_factory=FakeFactory(), settings=fast(),
                             extract=RecordingExtract(str(log)))
    finally:
        stop.set()
        other.join()
    assert report.ok and done(vault)["done"] == 4
    assert {j["process"] for j in recorded(log)} == {"SpawnProcess"}


CLAIM = """---
type: claim
domain: space-development
description: Reuse spreads the booster's cost over many flights
confidence: likely
source: a test
created: 2026-01-04
---

# reusable boosters make launches cheaper

Flights reuse their first stage.
"""


def test_the_model_is_loaded_only_when_the_vault_has_claims_to_compare_with(tmp_path):
    log = tmp_path / "jobs.jsonl"
    without = make_sources_vault(tmp_path / "without", 2)
    assert extract_all(without, provider_factory=FakeFactory(), settings=fast(start_method="spawn"),
                       extract=RecordingExtract(str(log))).ok
    assert [j["model"] for j in recorded(log)] == [False, False]

    log.unlink()
    with_claims = make_sources_vault(
        tmp_path / "with", 2, extra={"domains/space-development/reusable boosters make launches cheaper.md": CLAIM})
    assert extract_all(with_claims, provider_factory=FakeFactory(), settings=fast(start_method="spawn"),
                       extract=RecordingExtract(str(log))).ok
    assert [j["model"] for j in recorded(log)] == [True, True]


WARM_THEN_JOBS = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from pipeline_helpers import FakeProvider, make_sources_vault
from teleo.pipeline.workers import warm_up
vault = make_sources_vault(Path(sys.argv[2]), 2, extra=json.loads(sys.argv[3]))
warm_up(vault)  # what the supervisor does before forking its workers
before = set(sys.modules)
from teleo.pipeline.job import extract_source
outcomes = [extract_source(vault, f"inbox/archive/2026-01-04-report-{i:03d}.md", provider=FakeProvider()).status
            for i in (1, 0)]  # a claim (restating the vault's claim: an enrichment), then a null result
print(json.dumps({"outcomes": outcomes, "imported": sorted(set(sys.modules) - before)}))
"""


def test_a_workers_first_jobs_import_nothing_the_supervisors_warm_up_did_not(tmp_path):
    """What a first job imports or compiles on the way (the untrusted-text classes, the claim
    normaliser) would be paid by every forked worker at once: the warm-up rehearses a job instead."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    extra = {"domains/space-development/reusable boosters make launches cheaper.md": CLAIM}
    done = subprocess.run([sys.executable, "-c", WARM_THEN_JOBS, str(Path(__file__).parent), str(tmp_path / "v"),
                           json.dumps(extra)], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["outcomes"] == ["proposed", "null"]
    assert found["imported"] == []


FORKED_RUN = """
import json, os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from pipeline_helpers import FakeFactory, make_sources_vault
from teleo.pipeline import PipelineSettings, extract_all
vault = make_sources_vault(Path(sys.argv[2]), 2)
report = extract_all(vault, provider_factory=FakeFactory(), settings=PipelineSettings(workers=2, start_method="fork"))
children = []
for task in os.listdir("/proc/self/task"):
    for pid in open(f"/proc/self/task/{task}/children").read().split():
        try:
            children.append(open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode())
        except OSError:
            pass
print(json.dumps({"ok": report.ok, "children": children}))
"""


def test_forked_workers_start_no_other_process_beside_them(tmp_path):
    """A spawn context's start barrier needs a named semaphore, and with it multiprocessing's
    resource tracker: one more interpreter started (and left running) on a busy machine."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", FORKED_RUN, str(Path(__file__).parent), str(tmp_path / "v")],
                          capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ok"]
    assert [c for c in found["children"] if "resource_tracker" in c] == []


PREPARE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from pipeline_helpers import make_sources_vault, source_text
from teleo.pipeline import PipelineSettings, ProviderSpec, Supervisor, prepare
config, long = json.loads(sys.argv[3])
extra = {"teleo.toml": config}
if long:
    extra["inbox/archive/2026-01-04-report-009.md"] = source_text(9) + "Another sentence of the report. " * 60
vault = make_sources_vault(Path(sys.argv[2]), 2, extra=extra)
batch, queued, _ = prepare(vault)
supervisor = Supervisor(vault, PipelineSettings(workers=2, start_method="fork"), ProviderSpec(), batch=batch)
supervisor._prepare()  # what the supervisor makes before forking its workers
print(json.dumps({"queued": len(queued), "tokenizer": "bpe_openai" in sys.modules}))
"""

MODEL_PROVIDER = '[llm]\nprovider = "openai"\nmodel = "gpt-4o-mini"\nbase_url = "http://127.0.0.1:9/v1"\nchunk_tokens = 600\n'


def _prepared(tmp_path, name: str, config: str, long: bool) -> dict:
    import json
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-c", PREPARE, str(Path(__file__).parent), str(tmp_path / name),
                           json.dumps([config, long])], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_supervisor_loads_the_chunking_tokenizer_once_when_a_queued_source_needs_it(tmp_path):
    """Its tables cost ~0.7 s of CPU: loaded before the fork, the workers share them instead of each
    loading them on its first source longer than the provider's chunk."""
    assert _prepared(tmp_path, "long", MODEL_PROVIDER, long=True) == {"queued": 3, "tokenizer": True}
    assert _prepared(tmp_path, "short", MODEL_PROVIDER, long=False) == {"queued": 2, "tokenizer": False}
    offline = '[llm]\nprovider = "offline"\nchunk_tokens = 600\n'  # the offline extractor never splits a source
    assert _prepared(tmp_path, "offline", offline, long=True) == {"queued": 3, "tokenizer": False}
