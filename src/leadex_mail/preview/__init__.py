"""``leadex-mail preview``: an issue served on 127.0.0.1, reloading on every save.

    build   what the page shows, from the issue's files (no HTTP; never raises for bad content)
    live    the current preview, its version, the file watcher and the event streams
    app     the Starlette app: ``create_app(issue_ref, settings)``
    server  uvicorn on loopback: ``make_server``, ``serve``
"""
