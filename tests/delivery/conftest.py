"""Fixtures for the delivery tests."""

from __future__ import annotations

import pytest
from delivery_helpers import make_edition, make_settings

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
