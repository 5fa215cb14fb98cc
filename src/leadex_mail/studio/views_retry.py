"""Sending a campaign's temporary failures again -- the CLI's ``retry`` then ``send --resume``.

    POST /issues/{slug}/send/retry           (routed by ``views_send``; senders)

The re-queueing and its ``send_retry`` audit entry are one transaction
(``campaign.runner.retry_campaign`` with ``actor``): a retry that fails
leaves no entry, one that is done has exactly one.
"""

from __future__ import annotations

import anyio
from starlette.responses import Response

from leadex_mail.content.loader import load_issue
from leadex_mail.errors import LeadexError, NotFound, StoreError
from leadex_mail.studio.saying import error_words
from leadex_mail.studio.storefail import store_failed
from leadex_mail.studio.web import Ctx, form_data, redirect


async def retry(ctx: Ctx) -> Response:
    """Re-queue the temporary failures of a campaign and send them again (``retry`` + ``send --resume``)."""
    from leadex_mail.campaign.runner import campaign_list, retry_campaign
    from leadex_mail.studio import views_send

    slug = views_send.issue_slug(ctx)
    if slug is None:
        return views_send.not_found(ctx)
    list_name = (await form_data(ctx)).get("list") or None
    store, actor = ctx.studio.store, ctx.actor
    back = f"/issues/{slug}/send"
    try:
        issue = await anyio.to_thread.run_sync(load_issue, slug, ctx.studio.settings)
        name = await anyio.to_thread.run_sync(lambda: campaign_list(store, slug, list_name))
        async with ctx.studio.jobs.starting(slug, name):  # as a send: one audit record per send started
            running = ctx.studio.jobs.running(slug, name)
            if running is not None:
                return redirect(f"/issues/{slug}/send/jobs/{running.id}?joined=1")
            if not await anyio.to_thread.run_sync(lambda: retryable(store, slug, name)):
                return await views_send.send_page(ctx, error=ctx.t("retry_nothing"))
            try:
                # Re-queued and written in the audit log in one transaction: refused whole when either cannot be written.
                await anyio.to_thread.run_sync(lambda: retry_campaign(store, slug, name, actor=actor))
            except StoreError as err:
                if isinstance(err, NotFound):
                    raise
                return store_failed(ctx, err, not_done=ctx.t("store_send_refused"), back=back)
            job = ctx.studio.jobs.start(store, issue, ctx.studio.settings, list_name=name, actor=actor, resume=True)
    except StoreError as err:
        if isinstance(err, NotFound):
            return await views_send.send_page(ctx, error=error_words(err), status=409)
        return store_failed(ctx, err, not_done=ctx.t("store_send_refused"), back=back)
    except LeadexError as err:
        return await views_send.send_page(ctx, error=error_words(err), status=409)
    return redirect(f"/issues/{slug}/send/jobs/{job.id}")


def retryable(store: object, slug: str, list_name: str) -> int:
    """Deliveries a retry would send: failures it may re-queue, and those still waiting (a send that stopped) (blocking)."""
    from leadex_mail.store.campaigns import RETRYABLE_KINDS, find_campaign, retryable_failures, state_counts, unfinished

    campaign = find_campaign(store, slug, list_name)  # type: ignore[arg-type]
    return unfinished(state_counts(store, campaign.id)) + retryable_failures(store, campaign.id, RETRYABLE_KINDS)  # type: ignore[arg-type]
