"""Fetching a URL: the only network access of Teleo.

http and https only (redirects too), at most `max_bytes` of body (decoded),
a timeout per operation and an overall deadline. No cookies are kept and no
credentials are sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from teleo import __version__
from teleo.ingest.models import IngestError, IngestUsageError

USER_AGENT = f"teleo/{__version__} (knowledge-base ingest)"
ACCEPT = "text/html,application/xhtml+xml,application/pdf,text/markdown,text/plain;q=0.9,*/*;q=0.5"
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Fetched:
    requested: str
    final: str
    """The URL after redirects."""
    content_type: str
    data: bytes
    charset: str | None = None


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise IngestUsageError(f"{url}: only http:// and https:// URLs are fetched")
    if not parts.hostname:
        raise IngestUsageError(f"{url}: the URL names no host")


def fetch(url: str, *, max_bytes: int, timeout: float) -> Fetched:
    """GET `url`; raise IngestError on HTTP errors, oversize bodies and network failures."""
    import httpx

    check_url(url)
    deadline = time.monotonic() + timeout * 3
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    try:
        with httpx.Client(
            follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=httpx.Timeout(timeout), headers=headers
        ) as client:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise IngestError(f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
                check_url(str(response.url))
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise IngestError(f"cannot fetch {url}: body of {int(length):,} bytes is over the {max_bytes:,}-byte cap")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise IngestError(f"cannot fetch {url}: body is over the {max_bytes:,}-byte cap")
                    if time.monotonic() > deadline:
                        raise IngestError(f"cannot fetch {url}: download took longer than {timeout * 3:.0f} s")
                return Fetched(
                    requested=url,
                    final=str(response.url),
                    content_type=response.headers.get("content-type", ""),
                    data=bytes(body),
                    charset=response.charset_encoding,
                )
    except httpx.TooManyRedirects:
        raise IngestError(f"cannot fetch {url}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.UnsupportedProtocol as exc:
        raise IngestError(f"cannot fetch {url}: redirected to an unsupported scheme ({exc})") from None
    except httpx.TimeoutException:
        raise IngestError(f"cannot fetch {url}: timed out after {timeout:.0f} s") from None
    except httpx.HTTPError as exc:
        raise IngestError(f"cannot fetch {url}: {exc or type(exc).__name__}") from None
