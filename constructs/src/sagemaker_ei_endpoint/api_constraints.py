"""SageMaker's own limits on names, instance types, accelerator sizes, counts and weights.

Read from data/api_constraints.json, which scripts/generate_api_constraints.py copies from botocore's
SageMaker service model (the model every SDK request is checked against). Patterns there are unanchored;
here they must match the whole value.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from importlib import resources
from typing import Any

from .tokens import is_known


@cache
def _fields() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data/api_constraints.json").read_text()
    fields: dict[str, Any] = json.loads(text)["fields"]
    return fields


@cache
def _pattern(field: str) -> re.Pattern[str] | None:
    pattern = _fields()[field].get("pattern")
    return re.compile(pattern) if pattern else None


def enum(field: str) -> tuple[str, ...]:
    """The values the API accepts for ``field`` (e.g. "instance_type"), sorted."""
    return tuple(_fields()[field].get("enum", ()))


def max_items(field: str) -> int:
    return int(_fields()[field]["max"])


def name_problem(path: str, field: str, value: object) -> str | None:
    """Why ``value`` is not a valid ``field`` (endpoint_name, variant_name), reported as ``path``."""
    if not is_known(value):
        return None
    spec = _fields()[field]
    pattern = _pattern(field)
    if not isinstance(value, str):
        return f"{path}: expected a string, got {value!r}"
    if len(value) > spec["max"]:
        return f"{path}: at most {spec['max']} characters, got {len(value)}: {value!r}"
    if pattern is not None and not pattern.fullmatch(value):
        return f"{path}: must match {pattern.pattern} (letters, digits and hyphens), got {value!r}"
    return None


def enum_problem(path: str, field: str, value: object, example: str) -> str | None:
    """Why ``value`` is not one of the API's ``field`` values."""
    if not is_known(value) or value in _fields()[field]["enum"]:
        return None
    return f"{path}: not a SageMaker {field.replace('_', ' ')} like {example!r}, got {value!r}"


def count_problem(path: str, value: object) -> str | None:
    """Why ``value`` is not an instance count: an int (not a bool) of at least the API's minimum."""
    if not is_known(value):
        return None
    low = _fields()["initial_instance_count"]["min"]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        return f"{path}: must be an integer of at least {low}, got {value!r}"
    return None


def weight_problem(path: str, value: object) -> str | None:
    """Why ``value`` is not a variant weight: a finite number (not a bool) of at least the API's minimum."""
    if not is_known(value):
        return None
    low = _fields()["initial_variant_weight"]["min"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < low:
        return f"{path}: must be a finite number, not negative, got {value!r}"
    return None
