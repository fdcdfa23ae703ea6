"""`create_app(vault)`: the FastAPI app behind `teleo serve` — pages, their JSON, the API docs.

Every page has a JSON twin under `/api` built from the same model (`teleo.web.data`).
The app is read-only: pages and API answer GET only; the one action that changes
anything (a forced re-index, `POST /api/reindex`) needs the write token given at
start (`--write-token`), and without one configured it is refused to everybody.
Every response carries a Content-Security-Policy that allows scripts, styles and
fetches from this server only, and no inline scripts: a script that slipped
through the sanitiser would still not run.
"""

from __future__ import annotations

import hmac
import logging
from contextlib import AbstractAsyncContextManager, asynccontextmanager
import re
import threading
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware
from jinja2 import Environment, FileSystemLoader, select_autoescape

from teleo import __version__
from teleo.vault import Vault
from teleo.web import data
from teleo.web.data import NotFound
from teleo.web.graph import compact_graph, graph_data
from teleo.web.markdown import note_href
from teleo.web.models import AgentPage, DomainPage, HomePage, NotePage, Preview, ProposalPage, ProposalsPage, SearchPage
from teleo.web.paths import BadPath, safe_note_path
from teleo.web.people import ContributorPage, ContributorsPage, contributor_page, contributors_page
from teleo.web.proposals import NoProposal, proposal_page, proposals_page
from teleo.web.state import WebState

HERE = Path(__file__).parent
log = logging.getLogger("teleo.web")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
Endpoints = Callable[[WebState], tuple[list[Any], AbstractAsyncContextManager[Any] | None]]
"""Extra routes over the app's state, and what must run while they serve (see `create_app`)."""
SEARCH_MODES = ("hybrid", "text", "semantic")


def create_app(
    vault: Vault | Path | str, *, write_token: str | None = None, watch: bool = True, sync_interval: float = 1.0,
    warm: bool = False, allowed_hosts: list[str] | None = None, endpoints: Endpoints | None = None,
) -> FastAPI:
    """The web app of `vault`. `write_token`: the secret any write action must present;
    `watch`: follow file changes with a watcher (else re-check every `sync_interval` s);
    `warm`: at start, read git history and lay out the graph on a background thread, so the
    first claim page and the first graph view do not wait for them. `allowed_hosts`: the
    `Host` headers answered (others get 400) — for a server on loopback, its own names, so a
    web page elsewhere cannot read the vault through DNS rebinding. `endpoints(state)`: more routes
    over the app's own state and the context manager they need running while they serve — `teleo
    serve` mounts the MCP tools at `/mcp` this way (`teleo.mcp.http.mount_in_web_app`): the web app
    knows nothing of MCP, and `teleo.mcp` reads through the web app's `WebState`."""
    if not isinstance(vault, Vault):
        vault = Vault.open(vault)
    state = WebState(vault, write_token=write_token, watch=watch, sync_interval=sync_interval)
    extra_routes, extra_running = endpoints(state) if endpoints is not None else ([], None)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=_warm_up, args=(state,), name="teleo-web-warm", daemon=True).start()
        if extra_running is None:
            yield
        else:
            async with extra_running:
                yield
        state.stop()

    app = FastAPI(
        lifespan=lifespan, title="Teleo", version=__version__, docs_url=None, redoc_url=None,
        description="Read-only JSON API of a Teleo vault: the data of every page of `teleo serve`.",
    )
    app.state.teleo = state
    app.router.routes.extend(extra_routes)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = _templates()

    def page(name: str, model: Any, status: int = 200, **extra: Any) -> HTMLResponse:
        html = templates.get_template(name).render(m=model, vault_name=state.vault.config.vault.name, **extra)
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(NotFound)
    @app.exception_handler(NoProposal)
    @app.exception_handler(BadPath)
    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return page("error.html", {"title": "Not found", "message": str(exc)}, status=404)

    @app.exception_handler(Exception)
    async def failure(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=500)
        return page("error.html", {"title": "Something went wrong", "message": message}, status=500)

    def require_write_token(x_teleo_token: str | None = Header(None), authorization: str | None = Header(None)) -> None:
        """Write actions need the token given at start; with none given they are off."""
        given = x_teleo_token or (authorization[7:] if authorization and authorization.startswith("Bearer ") else None)
        if not state.write_token or not given or not hmac.compare_digest(given.encode(), state.write_token.encode()):
            raise HTTPException(status_code=403, detail="write actions need the token given to teleo serve --write-token")

    # -- pages -------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> HTMLResponse:
        return page("home.html", data.home_page(state))

    @app.get("/domains/{domain}", response_class=HTMLResponse, include_in_schema=False)
    def domain(domain: str) -> HTMLResponse:
        return page("domain.html", data.domain_page(state, domain))

    @app.get("/notes/{path:path}", response_class=HTMLResponse, include_in_schema=False)
    def note(path: str) -> HTMLResponse:
        model = data.note_page(state, safe_note_path(state.root, path))
        return page("note.html", model)

    @app.get("/agents/{name}", response_class=HTMLResponse, include_in_schema=False)
    def agent(name: str) -> HTMLResponse:
        return page("agent.html", data.agent_page(state, name))

    @app.get("/contributors", response_class=HTMLResponse, include_in_schema=False)
    def contributors() -> HTMLResponse:
        return page("contributors.html", contributors_page(state))

    @app.get("/contributors/{handle}", response_class=HTMLResponse, include_in_schema=False)
    def contributor(handle: str) -> HTMLResponse:
        return page("contributor.html", contributor_page(state, handle))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search(
        q: str = "", mode: str = "hybrid", domain: list[str] = Query([]), type: list[str] = Query([]),
        confidence: list[str] = Query([]), agent: list[str] = Query([]), status: list[str] = Query([]),
    ) -> HTMLResponse:
        filters = {"domain": domain, "type": type, "confidence": confidence, "agent": agent, "status": status}
        return page("search.html", data.search_page(state, q, mode, filters), modes=SEARCH_MODES)

    @app.get("/graph", response_class=HTMLResponse, include_in_schema=False)
    def graph() -> HTMLResponse:
        return page("graph.html", graph_data(state))

    @app.get("/proposals", response_class=HTMLResponse, include_in_schema=False)
    def proposals() -> HTMLResponse:
        return page("proposals.html", proposals_page(state))

    @app.get("/proposals/{branch:path}", response_class=HTMLResponse, include_in_schema=False)
    def proposal(branch: str) -> HTMLResponse:
        return page("proposal.html", proposal_page(state, branch))

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response((HERE / "static" / "favicon.svg").read_bytes(), media_type="image/svg+xml")

    @app.get("/domain-colors.css", include_in_schema=False)
    def domain_colors_css() -> Response:
        """One class per domain setting `--c` (a stylesheet, so no inline styles are needed)."""
        state.fresh_index()
        names = data.domain_names(state)
        rules = [f".{domain_class(n)} {{ --c: {data.color_of(n)}; }}" for n in sorted(names)]
        return Response("\n".join(rules) + "\n", media_type="text/css")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return page("docs.html", _api_docs(app.openapi()))

    # -- JSON ----------------------------------------------------------------------

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        """Liveness: answers without touching the index."""
        return {"ok": True, "version": __version__}

    @app.get("/api/home", tags=["pages"])
    def api_home() -> HomePage:
        """The home page: domains with counts, recent merges, open proposals."""
        return data.home_page(state)

    @app.get("/api/domains", tags=["pages"])
    def api_domains() -> list[dict[str, Any]]:
        """Every domain with its claim and note counts."""
        return [d.model_dump() for d in data.home_page(state).domains]

    @app.get("/api/domains/{domain}", tags=["pages"])
    def api_domain(domain: str) -> DomainPage:
        """A domain: its topic map (rendered, sanitised) and its claims grouped by confidence."""
        return data.domain_page(state, domain)

    @app.get("/api/notes/{path:path}", tags=["pages"])
    def api_note(path: str) -> NotePage:
        """Any note by vault-relative path (with `.md`): frontmatter, rendered body, links both ways,
        evidence with grounding, sources, git history."""
        return data.note_page(state, safe_note_path(state.root, path))

    @app.get("/api/preview", tags=["pages"])
    def api_preview(path: str = Query(..., description="vault-relative path of the note, with .md")) -> Preview:
        """Title, facets and description of a note (the hover preview of a wiki link)."""
        return data.preview(state, safe_note_path(state.root, path))

    @app.get("/api/agents/{name}", tags=["pages"])
    def api_agent(name: str) -> AgentPage:
        """An agent: identity, beliefs with grounding, positions, contributions."""
        return data.agent_page(state, name)

    @app.get("/api/contributors", tags=["pages"])
    def api_contributors() -> ContributorsPage:
        """Contributors by weighted score (contributors.json, built on demand from the files)."""
        return contributors_page(state)

    @app.get("/api/contributors/{handle}", tags=["pages"])
    def api_contributor(handle: str) -> ContributorPage:
        """A contributor: score and role counts, the claims they wrote or sourced, the claims they
        challenged, the sources they added, their open contributions."""
        return contributor_page(state, handle)

    @app.get("/api/search", tags=["pages"])
    def api_search(
        q: str = Query("", description="words; \"quoted phrases\" stay together"),
        mode: str = Query("hybrid", description="hybrid, text or semantic"),
        domain: list[str] = Query([], description="only these domains (repeatable)"),
        type: list[str] = Query([], description="only these note types or kinds: claim, source, … (repeatable)"),
        confidence: list[str] = Query([], description="only these confidences (repeatable)"),
        agent: list[str] = Query([], description="only notes owned by these agents (repeatable)"),
        status: list[str] = Query([], description="only these statuses, e.g. unprocessed (repeatable)"),
        limit: int = Query(20, ge=1, le=200),
    ) -> SearchPage:
        """Search with the command line's filters: each repeatable (any of its values), all ANDed; empty = any."""
        filters = {"domain": domain, "type": type, "confidence": confidence, "agent": agent, "status": status}
        return data.search_page(state, q, mode, filters, limit)

    @app.get("/api/graph", tags=["pages"])
    def api_graph(
        compact: bool = Query(False, description="edges as [source index, target index, conflict 0/1], nodes trimmed"),
    ) -> dict[str, Any]:
        """The claim graph (graph-data.json's nodes, edges and domain colours) with a layout (`x`, `y`)."""
        return compact_graph(state) if compact else graph_data(state)

    @app.get("/api/proposals", tags=["pages"])
    def api_proposals() -> ProposalsPage:
        """Open proposals: branches of every proposal kind (extract/*, flags/*, …) not merged into main."""
        return proposals_page(state)

    @app.get("/api/proposals/{branch:path}", tags=["pages"])
    def api_proposal(branch: str) -> ProposalPage:
        """One proposal: its diff against main and its verdicts."""
        return proposal_page(state, branch)

    @app.post("/api/reindex", tags=["write"], dependencies=[Depends(require_write_token)])
    def api_reindex() -> dict[str, Any]:
        """Sync the index now (needs the write token: header `X-Teleo-Token` or `Authorization: Bearer`)."""
        return state.sync_now().model_dump(mode="json")

    return app


def _warm_up(state: WebState) -> None:
    try:
        state.history()
        data.home_page(state)
        graph_data(state)
    except Exception:  # only a head start: the pages compute it themselves when asked
        log.debug("warm-up failed", exc_info=True)


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["note_href"] = note_href
    env.filters["dclass"] = domain_class
    return env


def domain_class(name: str) -> str:
    """A CSS class for a domain name (any characters → a safe identifier)."""
    return "d-" + re.sub(r"[^a-z0-9_-]", "_", name.lower())


def _api_docs(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document flattened for the docs template: one entry per operation."""
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False),
                 "description": p.get("description", ""), "type": (p.get("schema") or {}).get("type", "")}
                for p in op.get("parameters", [])
            ]
            operations.append({
                "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "params": params,
                "tags": op.get("tags", []),
            })
    return {"title": spec["info"]["title"], "version": spec["info"]["version"],
            "description": spec["info"].get("description", ""), "operations": operations}
