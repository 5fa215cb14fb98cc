"""Helpers of the content tests."""

from __future__ import annotations

import copy
from typing import Any


def with_value(data: dict, path: tuple, value: Any) -> dict:
    """A deep copy of an edition's plain ``data`` with ``value`` at ``path`` (the groups and lists on the way exist)."""
    changed = copy.deepcopy(data)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed
