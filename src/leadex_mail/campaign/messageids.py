"""The Message-IDs of a campaign's deliveries, derived so that every attempt of one delivery carries the same.

A retry, or a resend after a crash (marked uncertain), goes out with the
Message-ID of the first attempt, so a receiver that deduplicates by
Message-ID (RFC 5322 section 3.6.4: one identifier per message) shows it
once. The form, ``<lx.{campaign}.{delivery}.{digest}@domain>``, is what
``bounces.matching`` reads back from reports; the digest (SHA-256 over the
signing key, the campaign's id and creation time and the delivery's id)
keeps it from being guessed, since a report is matched to a delivery only
when the whole stored Message-ID is returned.
"""

from __future__ import annotations

import hashlib
from datetime import datetime


class MessageIds:
    """``ids(delivery_id, domain)``: the Message-ID of one delivery of one campaign (``<...>``, ASCII)."""

    def __init__(self, key: bytes, campaign_id: int, created_at: datetime) -> None:
        self.campaign_id = campaign_id
        # The part common to the campaign is hashed once and copied per message.
        self._common = hashlib.sha256(key + f"{campaign_id}:{created_at.isoformat()}:".encode())

    def __call__(self, delivery_id: int, domain: str) -> str:
        mac = self._common.copy()
        mac.update(str(delivery_id).encode())
        return f"<lx.{self.campaign_id}.{delivery_id}.{mac.hexdigest()[:16]}@{domain}>"
