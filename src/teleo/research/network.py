"""`agents/<agent>/network.json`: the accounts an agent follows (reference §2.10, §4.2).

    {"agent": "rio", "domain": "internet-finance",
     "accounts": [{"username": "metaproph3t", "tier": "core", "why": "MetaDAO founder."}, …]}

The file is data written by the agent, read from main's tip. Every handle is checked against X's
rule (`^[A-Za-z0-9_]{1,15}$`, the reference script's `^[A-Za-z0-9_]+$` with X's length cap), so a
handle can go into a URL and a file name as it is; a bad one stops the session with a message
naming the file and the field (`accounts[3].username`). Tiers: `core` and `extended` accounts are
followed (their posts rank first), `watch` accounts are listed but not followed.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
FOLLOWED = ("core", "extended")
MAX_NETWORK_BYTES = 1_000_000


class NetworkError(ValueError):
    """network.json cannot be used; the message names the file and the field."""


class Account(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str
    tier: Literal["core", "extended", "watch"] = "extended"
    why: str = ""


class Network(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agent: str | None = None
    domain: str | None = None
    accounts: list[Account] = Field(default_factory=list)

    def tier_of(self, handle: str | None) -> str | None:
        """The tier of `handle` (case-insensitive, as X compares handles); None: not in the network."""
        if not handle:
            return None
        wanted = handle.lower()
        return next((a.tier for a in self.accounts if a.username.lower() == wanted), None)

    def account(self, handle: str | None) -> Account | None:
        wanted = (handle or "").lower()
        return next((a for a in self.accounts if a.username.lower() == wanted), None)

    def followed(self) -> list[Account]:
        return [a for a in self.accounts if a.tier in FOLLOWED]


def parse_network(data: bytes, where: str, agent: str) -> Network:
    """The network in `data` (the bytes of `where`), checked; raises `NetworkError` naming file and field."""
    if len(data) > MAX_NETWORK_BYTES:
        raise NetworkError(f"{where}: {len(data):,} bytes, over the {MAX_NETWORK_BYTES:,}-byte cap")
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise NetworkError(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NetworkError(f"{where}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise NetworkError(f"{where}: the top level must be an object with 'accounts', not {type(raw).__name__}")
    accounts = raw.get("accounts", [])
    if not isinstance(accounts, list):
        raise NetworkError(f"{where}: field 'accounts' must be a list")
    for index, account in enumerate(accounts):
        field = f"accounts[{index}]"
        if not isinstance(account, dict):
            raise NetworkError(f"{where}: field '{field}' must be an object with 'username'")
        handle = account.get("username")
        if not isinstance(handle, str) or not HANDLE.match(handle):
            shown = json.dumps(handle, ensure_ascii=True)[:60]
            raise NetworkError(f"{where}: field '{field}.username': {shown} is not an X handle "
                               "(1–15 letters, digits or _)")
    try:
        network = Network.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in first["loc"]).replace(".[", "[")
        raise NetworkError(f"{where}: field '{path}': {first['msg']}") from None
    if network.agent is not None and network.agent.lower() != agent.lower():
        raise NetworkError(f"{where}: field 'agent' is '{network.agent[:40]}', not '{agent}'")
    return network
