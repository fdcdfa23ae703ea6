"""`[forge]` in `teleo.toml`: which forge, which repository, whose words count.

```toml
[forge]
kind = "github"                 # or "forgejo" (Gitea too: the same API)
repo = "living-ip/teleo-codex"  # owner/name on the forge
url = "https://api.github.com"  # the API root; Forgejo/Gitea: the site, e.g. https://git.example.org
remote = "origin"               # the git remote of this clone that is that repository
token_env = "TELEO_FORGE_TOKEN" # the environment variable holding the token (never the token itself)
accounts = ["teleo-bot"]        # the accounts Teleo posts as: only their verdict markers count
people = ["m3taversal"]         # whose pull-request reviews count as verdicts
person_stands_for_evaluator = false   # a person's approval on the head may replace the evaluator's
merge_method = "merge"          # merge | squash | rebase
```

The token is read from the environment only, when a command talks to the forge, and is never
printed: an error names the forge and the variable, not its value.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_URLS = {"github": "https://api.github.com"}


class ForgeConfigError(ValueError):
    """A `[forge]` table that cannot be used, or a token that is not there; the message names the field."""


class ForgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["github", "forgejo", "gitea"]
    repo: str
    url: str = ""
    remote: str = "origin"
    base: str = "main"
    token_env: str = "TELEO_FORGE_TOKEN"
    accounts: list[str] = Field(default_factory=list)
    """Forge logins Teleo posts as; a verdict marker counts only in their reviews."""
    people: list[str] = Field(default_factory=list)
    """Forge logins whose pull-request reviews count as people's verdicts."""
    person_stands_for_evaluator: bool = False
    merge_method: Literal["merge", "squash", "rebase"] = "merge"
    attempts: int = Field(default=3, ge=1, le=10)
    """Tries of a request the forge rate-limited."""
    max_wait_s: float = Field(default=60.0, ge=0)
    """The longest wait for a rate limit to lift; longer → the command stops and says when to retry."""
    timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("repo")
    @classmethod
    def _owner_name(cls, value: str) -> str:
        owner, _, name = value.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError("expected owner/name")
        return value

    @property
    def label(self) -> str:
        return {"github": "GitHub", "forgejo": "Forgejo", "gitea": "Gitea"}[self.kind]

    @property
    def api_url(self) -> str:
        url = (self.url or DEFAULT_URLS.get(self.kind, "")).rstrip("/")
        if self.kind != "github" and url and not url.endswith("/api/v1"):
            url += "/api/v1"
        return url

    def counts_marker_of(self, login: str) -> bool:
        return login.lower() in {a.lower() for a in self.accounts}

    def is_person(self, login: str) -> bool:
        return login.lower() in {p.lower() for p in self.people}

    def token(self) -> str:
        value = os.environ.get(self.token_env, "").strip()
        if not value:
            raise ForgeConfigError(f"{self.label}: no token in the environment variable {self.token_env} "
                                   f"(named by [forge] token_env in teleo.toml)")
        return value

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str = "teleo.toml") -> "ForgeSettings":
        if not table:
            raise ForgeConfigError(f"{where}: no [forge] table (kind, repo, …: see `teleo forge --help`)")
        if "token" in table:
            raise ForgeConfigError(f"{where}: [forge] token: never put the token in the file; "
                                   f"name an environment variable with token_env")
        try:
            settings = cls.model_validate(table)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ForgeConfigError(f"{where}: field 'forge.{field}': {first['msg']}") from None
        if not settings.api_url:
            raise ForgeConfigError(f"{where}: field 'forge.url': the {settings.label} site is needed")
        return settings

    @classmethod
    def from_vault(cls, vault) -> "ForgeSettings":
        return cls.from_table(vault.config.forge, str(vault.root / "teleo.toml"))
