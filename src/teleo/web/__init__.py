"""The web UI: `create_app(vault) -> FastAPI`, served by `teleo serve`.

Server-rendered pages (Jinja2) over the read side (index, notes, git), each with
its JSON twin under `/api`; markdown rendered then sanitised; the graph drawn by
our own canvas script from a layout computed here. See `app.py`.
"""

from teleo.web.app import create_app

__all__ = ["create_app"]
