"""Pull requests on a forge (GitHub, Forgejo/Gitea): proposals pushed and opened as pull requests,
verdicts posted as reviews with the reference's markers, people's reviews read back as verdicts
bound to the head commit, merges through the forge's API (`sync.sync_forge`).

This package imports nothing heavy: the clients (`github` through githubkit, extra `forge`;
`gitea` through httpx) and the flow (`sync`) are imported by whoever uses them.
"""

from teleo.forge.base import Forge, ForgeAuthError, ForgeError, PullRequest, RateLimited, Review, StaleHead
from teleo.forge.settings import ForgeConfigError, ForgeSettings

__all__ = ["Forge", "ForgeAuthError", "ForgeConfigError", "ForgeError", "ForgeSettings", "PullRequest",
           "RateLimited", "Review", "StaleHead"]
