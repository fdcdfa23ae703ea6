"""The server picks up file changes without a restart (polling and the file watcher), and
`teleo serve` runs end to end as a real process."""

from __future__ import annotations

import subprocess
import sys
import time
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from web_fixtures import CLAIM_A, build_vault

from teleo.web import create_app
from teleo.web.launch import serve_process

NEW = "domains/energy/a note written while the server runs shows up on the next request.md"
NOTE = "---\ntype: claim\ndomain: energy\ndescription: \"{description}\"\nconfidence: likely\n---\n\n# {title}\n\nBody.\n"


def _edit_description(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_changes_show_without_restart_when_polling(tmp_path):
    root = build_vault(tmp_path / "v")
    with TestClient(create_app(root, watch=False, sync_interval=0)) as c:
        assert c.get("/notes/" + quote(NEW)).status_code == 404
        (root / NEW).write_text(NOTE.format(description="fresh words here", title=NEW[15:-3]), encoding="utf-8")
        assert c.get("/notes/" + quote(NEW)).status_code == 200
        assert c.get("/api/search", params={"q": "fresh words", "mode": "text"}).json()["hits"][0]["path"] == NEW
        _edit_description(root / CLAIM_A, "Midday solar", "Noon sunshine")
        assert c.get("/api/notes/" + quote(CLAIM_A)).json()["description"].startswith("Noon sunshine")
        (root / NEW).unlink()
        assert c.get("/notes/" + quote(NEW)).status_code == 404


def test_the_file_watcher_marks_the_index_stale(tmp_path):
    """Only the watcher can make this app sync (its polling interval is an hour). The watcher thread
    gives no sign when its inotify watches are in place, so an edit made before then goes unseen by
    design: the test edits again (a new description each time) until a request shows the latest one —
    under load that may take a few rounds; a watcher that never marks the index stale never shows it."""
    root = build_vault(tmp_path / "v")
    app = create_app(root, watch=True, sync_interval=3600)  # only the watcher can make it sync
    with TestClient(app) as c:
        state = app.state.teleo
        deadline = time.monotonic() + 120
        while not state.watching and time.monotonic() < deadline:
            time.sleep(0.05)
        if not state.watching:
            pytest.skip("no file watcher on this system")
        assert c.get("/api/notes/" + quote(CLAIM_A)).status_code == 200  # the first sync: nothing is stale now
        deadline = time.monotonic() + 300
        old, description, rounds = "Midday solar", "", 0
        while time.monotonic() < deadline and state.watching:
            rounds += 1
            new = f"Watched sunshine {rounds}"
            _edit_description(root / CLAIM_A, old, new)
            old = new
            for _ in range(20):  # ~2 s for the watcher to see this edit before the next one
                description = c.get("/api/notes/" + quote(CLAIM_A)).json()["description"]
                if description.startswith(new):
                    break
                time.sleep(0.1)
            if description.startswith(new):
                break
        assert description.startswith(old), (rounds, description)


@pytest.mark.slow
def test_teleo_serve_end_to_end(tmp_path):
    root = build_vault(tmp_path / "v")
    with serve_process(root, tmp_path / "serve.log", args=["--no-watch"], env={"TELEO_WRITE_TOKEN": "tok"}) as server:
        base = server.base
        page = httpx.get(base + "/notes/" + quote(CLAIM_A), timeout=120)
        assert page.status_code == 200 and 'data-page="claim"' in page.text
        assert httpx.post(base + "/api/reindex", timeout=120).status_code == 403
        assert httpx.post(base + "/api/reindex", headers={"X-Teleo-Token": "tok"}, timeout=120).status_code == 200
        busy = subprocess.run(
            [sys.executable, "-m", "teleo.cli.app", "serve", str(root), "--port", str(server.port)],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300,
        )
        assert busy.returncode != 0 and "already in use" in busy.stderr and "Traceback" not in busy.stderr


def test_serve_help_has_an_example():
    result = subprocess.run([sys.executable, "-m", "teleo.cli.app", "serve", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "teleo serve" in result.stdout and "--port" in result.stdout


def test_a_forced_reindex_shows_an_edit_the_server_was_not_told_about(tmp_path):
    root = build_vault(tmp_path / "v")
    app = create_app(root, watch=False, sync_interval=3600, write_token="tok")
    with TestClient(app) as c:
        assert c.get("/api/notes/" + quote(CLAIM_A)).status_code == 200
        _edit_description(root / CLAIM_A, "Midday solar", "Noon sunshine")
        assert c.post("/api/reindex", headers={"X-Teleo-Token": "tok"}).status_code == 200
        assert c.get("/api/notes/" + quote(CLAIM_A)).json()["description"].startswith("Noon sunshine")


@pytest.mark.slow
def test_serve_process_picks_another_port_when_its_free_port_is_taken_before_the_child_binds_it(tmp_path, monkeypatch):
    """The free port is picked before `teleo serve` binds it, and another process may take it in between."""
    import socket

    from teleo.web import launch

    root = build_vault(tmp_path / "v")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taker:
        taker.bind(("127.0.0.1", 0))
        taker.listen()
        taken = taker.getsockname()[1]
        picks = iter([taken])
        real = launch.free_port
        monkeypatch.setattr(launch, "free_port", lambda: next(picks, None) or real())
        with serve_process(root, tmp_path / "serve.log", args=["--no-watch"]) as server:
            assert server.port != taken
            assert httpx.get(server.base + "/healthz", timeout=120).status_code == 200
