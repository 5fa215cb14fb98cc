"""When the subscriber store fails under a studio action: say what happened, what was and was not done, what to do.

    except StoreError as err:
        return store_failed(ctx, err, done=ctx.t("test_done_sent", n=2), not_done=ctx.t("not_done_recorded"))

A ``StoreError`` that is not the officer's doing (disk full, database gone
away or locked past the busy timeout, file deleted) reaches the officer as
one page in their language, never a 500 or a traceback:

- what happened, in plain words (``reason``: the failure's kind as the
  store read it from the driver, ``store.failures``; each says only what
  it knows: a "disk I/O error" may be a full, read-only or failing disk);
- what was done before the failure (``done``: a test message that went out,
  a subscriber added) and what was not (``not_done``) -- each view knows;
- what to do (free space, start the database, wait), and the store's own
  message and hint under "Details" for whoever runs leadex-mail.

The order of writes is the views' decision (docs/decisions.md): a send, a
resume, a retry, a schedule, a cancellation and an erasure write their
audit record first and are refused whole when it cannot be written; a
subscriber added, imported or unsubscribed gets its audit record after (its
number exists only then), and a failed record is said beside what was done.
``web.action``/``web.page`` call ``store_failed`` without ``done`` for any
StoreError a view did not catch: one transaction failed, so that write was
not made.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from leadex_mail.errors import StoreError
from leadex_mail.store.failures import failure_kind

# (reason key, HTTP status) by the failure's kind (``store.failures.KINDS``); 507 only for a disk known to be full.
_REASONS = {
    "full": ("store_reason_full", 507),
    "io": ("store_reason_io", 503),
    "readonly": ("store_reason_readonly", 503),
    "locked": ("store_reason_locked", 503),
    "missing": ("store_reason_missing", 503),
    "damaged": ("store_reason_damaged", 503),
    "gone": ("store_reason_gone", 503),
}


def is_failure(err: BaseException) -> bool:
    """True for the store itself failing (a plain ``StoreError``), not a value it refuses (``InvalidValue``, ``Suppressed``, ``NotFound``…)."""
    return type(err) is StoreError


def reason(err: StoreError) -> tuple[str, int]:
    """(catalog key of what happened, HTTP status) for a store failure: full 507, read-only/failing/locked/gone/missing/damaged 503, else 500.

    The kind the store read from the driver (``StoreError.failure``); for a
    ``StoreError`` made elsewhere (a file replaced, a test send not
    recorded), read from its words.
    """
    kind = err.failure or getattr(getattr(err, "cause", None), "failure", "") or failure_kind(err.message)
    return _REASONS.get(kind, ("store_reason_other", 500))


def store_failed(ctx, err: StoreError, *, done: str | None = None, not_done: str | None = None, again: str | None = None, back: str | None = None) -> Response:  # noqa: ANN001 (web.Ctx: imported by web)
    """The page (or JSON for the page's scripts) saying the store failed: what, what was done and not done, what to do.

    ``done``: what happened before the failure, in the officer's words (None: nothing).
    ``not_done``: what was not done (default: "what you asked was not done").
    ``again``: what to do once the cause is fixed (default: "try again").
    ``back``: the page to go back to (the send page, the subscribers), besides the issues.
    """
    key, status = reason(err)
    what = ctx.t(key)
    lines = {
        "what": ctx.t("store_failed_what", reason=what),
        "done": done,
        "not_done": not_done or ctx.t("store_not_done"),
        "todo": ctx.t(key + "_todo") + " " + (again or ctx.t("store_try_again")),
    }
    from leadex_mail.studio.saying import error_words  # saying imports web, which imports this module

    detail = error_words(err)
    if "application/json" in ctx.request.headers.get("accept", "") or ctx.request.headers.get("hx-request"):
        text = " ".join(v for v in lines.values() if v)
        return JSONResponse({"error": text, "store_failed": True}, status_code=status, headers={"cache-control": "no-store"})
    return ctx.render("store_failed.html.j2", status=status, title=ctx.t("store_failed_title"), lines=lines, detail=detail, back=back)
