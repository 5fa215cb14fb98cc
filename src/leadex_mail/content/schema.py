"""JSON Schemas of the issue format, for editors that validate YAML as you type.

VS Code's YAML extension reads the first line
``# yaml-language-server: $schema=../schema.json`` of an edition file and
then completes field names and underlines mistakes. The schemas come from
the pydantic models, so they cannot drift from what the loader accepts;
``newsletters/schema.json`` and ``newsletters/brand.schema.json`` are the
committed copies (a test keeps them equal to these).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from leadex_mail.content.model import Brand, Edition

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "schema.json"
BRAND_SCHEMA_FILE = "brand.schema.json"


def _schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    body = model.model_json_schema()
    body["title"] = title
    return {"$schema": DRAFT, **body}


def edition_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one edition file (``sl.yaml``, ``en.yaml``, ...)."""
    return _schema(Edition, "leadex-mail edition (one language of an issue)")


def brand_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``brand.yaml``."""
    return _schema(Brand, "leadex-mail brand (shared by every issue)")


def schema_text(brand: bool = False) -> str:
    """A schema as the text committed in ``newsletters/`` (2-space JSON, final newline)."""
    return json.dumps(brand_schema() if brand else edition_schema(), indent=2, ensure_ascii=False) + "\n"
