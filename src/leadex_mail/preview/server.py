"""Serve the preview app with uvicorn, on 127.0.0.1 only.

The preview shows unsent issues and has no authentication, so it never
listens beyond loopback. The socket is bound before uvicorn starts (the web
layer's ``bind``), so the URL, with the real port when ``--port 0`` asks
for any free one, is known up front and a busy port is a clear error.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from leadex_mail.config import Settings
from leadex_mail.errors import IssueNotFound, LeadexError
from leadex_mail.preview.app import create_app
from leadex_mail.preview.build import Preview
from leadex_mail.preview.live import LiveState
from leadex_mail.serving import WebServer, bind

HOST = "127.0.0.1"


class PreviewServer(WebServer):
    """A uvicorn server that ends the pages' event streams when it stops.

    Without this, uvicorn's graceful shutdown would wait for every open
    preview tab, whose event stream never ends by itself.
    """

    def __init__(self, config: uvicorn.Config, live: LiveState, sock: socket.socket) -> None:
        super().__init__(config, sock)
        self.live = live

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close the event streams first, then shut down as uvicorn does."""
        self.live.close()
        await super().shutdown(sockets)


def make_server(
    issue_ref: str, settings: Settings, *, port: int = 0, language: str | None = None, watch: bool = True, deep: bool = False
) -> PreviewServer:
    """Build the app for ``issue_ref`` and a server bound to 127.0.0.1:``port``.

    Raises ``IssueNotFound`` when there is no such issue at all, or no
    ``language`` edition in an issue that loads; any other content problem
    is shown on the page, so it can be fixed while watching.
    """
    app = create_app(issue_ref, settings, watch=watch, deep=deep)
    live: LiveState = app.state.live
    try:
        _refuse_missing(live.preview, language)
        sock = bind(HOST, port)
    except LeadexError:
        if app.state.deep is not None:  # the deep check's worker started with the app
            app.state.deep.close()
        raise
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=3)
    return PreviewServer(config, live, sock)


def _refuse_missing(preview: Preview, language: str | None) -> None:
    """Stop before serving when what was named does not exist (a typo, not a draft to fix)."""
    if isinstance(preview.error, IssueNotFound):
        raise preview.error
    if language and preview.ok and language not in preview.editions:
        raise IssueNotFound(
            f"issue {preview.slug} has no {language!r} edition",
            hint=f"its editions: {', '.join(preview.languages)}; add {language}.yaml to make one",
        )


def serve(
    issue_ref: str,
    settings: Settings,
    *,
    port: int = 0,
    language: str | None = None,
    on_ready: Callable[[str], None] = lambda url: None,
    deep: bool = False,
) -> None:
    """Serve the live preview of ``issue_ref`` until interrupted.

    ``on_ready`` receives the page's URL (with ``?lang=`` when ``language``
    is given) before serving starts, e.g. to print it and open a browser.
    ``deep`` runs ``check --deep`` after every save and shows its results.
    """
    server = make_server(issue_ref, settings, port=port, language=language, deep=deep)
    on_ready(f"{server.url}/" + (f"?lang={language}" if language else ""))
    server.serve_forever()
