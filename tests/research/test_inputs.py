"""What a research session reads: network.json (handles checked) and the raw dump formats."""

from __future__ import annotations

import json
import os

import pytest

from teleo.research.dumps import parse_date, read_dumps
from teleo.research.network import NetworkError, parse_network


def test_a_network_reads_tiers_and_a_bad_handle_is_named_by_file_and_field():
    good = {"agent": "rio", "domain": "internet-finance",
            "accounts": [{"username": "MetaDAOProject", "tier": "core", "why": "x"},
                         {"username": "_spiz_", "tier": "extended"}, {"username": "watcher", "tier": "watch"}]}
    network = parse_network(json.dumps(good).encode(), "agents/rio/network.json", "rio")
    assert network.tier_of("metadaoproject") == "core" and network.tier_of("nobody") is None
    assert [a.username for a in network.followed()] == ["MetaDAOProject", "_spiz_"]
    for bad, field in (("has space", "accounts[1].username"), ("../../etc", "accounts[1].username"),
                       ("a" * 16, "accounts[1].username"), (7, "accounts[1].username")):
        raw = {"accounts": [{"username": "fine"}, {"username": bad}]}
        with pytest.raises(NetworkError) as caught:
            parse_network(json.dumps(raw).encode(), "agents/rio/network.json", "rio")
        assert f"agents/rio/network.json: field '{field}'" in str(caught.value)
    with pytest.raises(NetworkError, match="field 'accounts\\[0\\].tier'"):
        parse_network(b'{"accounts": [{"username": "ok", "tier": "vip"}]}', "n.json", "rio")
    with pytest.raises(NetworkError, match="n.json: line 1: not JSON"):
        parse_network(b"{nope", "n.json", "rio")
    with pytest.raises(NetworkError, match="field 'agent' is 'clay', not 'rio'"):
        parse_network(b'{"agent": "clay", "accounts": []}', "n.json", "rio")


def test_every_documented_dump_format_is_read_and_everything_else_is_named(tmp_path):
    folder = tmp_path / "inbox-raw" / "rio"
    (folder / "deeper").mkdir(parents=True)
    (folder / "a.json").write_text(json.dumps({"data": {"tweets": [
        {"id": "11", "text": "first post", "createdAt": "Wed Oct 10 20:19:24 +0000 2018", "likeCount": 5,
         "author": {"userName": "alpha", "name": "Alpha"}},
        {"text": "no author, a javascript url", "url": "javascript:alert(1)"},
        {"text": "bad handle", "author": {"userName": "x y"}},
        {"id": "12"},
        "not an object",
    ]}}))
    (folder / "b.jsonl").write_text('{"text": "line one", "author": "Bea (@bea_b)", "date": "2026-03-01"}\n\n{broken\n')
    (folder / "deeper" / "c.md").write_text("---\ntitle: A doc\nauthor: Cy (@cy)\nurl: https://e.org/c\n---\n\nBody text.\n")
    (folder / "d.txt").write_text("Plain title\nplain body\n")
    (folder / "e.pdf").write_bytes(b"%PDF-1.4")
    (folder / ".hidden.json").write_text("[]")
    os.symlink(tmp_path / "elsewhere.json", folder / "link.json")
    dumps = read_dumps(tmp_path, "rio")
    by_text = {item.text.strip(): item for item in dumps.items}
    first = by_text["first post"]
    assert (first.handle, first.url, first.date, first.likes, first.author) == (
        "alpha", "https://x.com/alpha/status/11", "2018-10-10", 5, "Alpha (@alpha)")
    assert by_text["no author, a javascript url"].url is None and by_text["bad handle"].handle is None
    assert by_text["line one"].handle == "bea_b" and by_text["line one"].date == "2026-03-01"
    doc = next(i for i in dumps.items if i.origin.endswith("c.md"))
    assert (doc.title, doc.handle, doc.url, doc.media) == ("A doc", "cy", "https://e.org/c", "markdown")
    assert next(i for i in dumps.items if i.origin.endswith("d.txt")).title == "Plain title"
    notes = "\n".join(dumps.notes)
    for expected in ("a.json #3: field 'author.userName'", "a.json #4: no text", "a.json #5: a record must be an object",
                     "b.jsonl: line 3: not JSON", "e.pdf: not a dump format", "link.json: not a regular file"):
        assert expected in notes, expected
    assert ".hidden" not in notes and all(".hidden" not in i.origin for i in dumps.items)
    assert read_dumps(tmp_path, "nobody").items == []


def test_dates_are_read_from_iso_and_from_x():
    assert parse_date("2026-03-09T08:30:00Z") == "2026-03-09"
    assert parse_date("Tue Mar 10 12:00:00 +0000 2026") == "2026-03-10"
    assert parse_date("yesterday") is None and parse_date(None) is None
