"""Fixtures for the delivery tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from delivery_helpers import FaultySink, make_edition, make_settings

from leadex_mail.config import Settings
from leadex_mail.content.model import Brand
from leadex_mail.render.result import RenderedEdition


@pytest.fixture
def edition() -> RenderedEdition:
    """A hand-built rendered edition."""
    return make_edition()


@pytest.fixture
def settings() -> Settings:
    """Settings with a secret key and public URL."""
    return make_settings()


@pytest.fixture
def brand() -> Brand:
    """A brand with a non-ASCII sender name and a Reply-To."""
    return Brand(from_name="LeadEx – Žiga", reply_to="info@example.org")


@pytest.fixture(params=["one-by-one", "pipelined"])
def faulty(request, start_smtp) -> Callable[..., tuple[FaultySink, int]]:
    """Start FaultySink servers on loopback ports; stop them after the test.

    Every test using it runs twice: against a server that offers PIPELINING
    (RFC 2920: the transport then sends MAIL, RCPT and DATA together) and
    against one that does not; each reply must be classified the same way.
    """

    def start(**behaviour) -> tuple[FaultySink, int]:
        sink = FaultySink(**{"pipelining": request.param == "pipelined", **behaviour})
        return sink, start_smtp(sink)

    return start
