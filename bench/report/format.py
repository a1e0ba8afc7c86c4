"""Markdown helpers and the names and colours of the implementations."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

IMPL_TITLES = {
    "ours": "EIEndpoint (ours)",
    "alpha-default": "alpha L2, default role",
    "alpha": "alpha L2, role we bring",
    "l1": "plain L1",
}


OURS_CATEGORY = "ours: sagemaker_ei_endpoint, stacks"


IMPL_COLORS = {"ours": "tab:blue", "alpha-default": "tab:red", "alpha": "tab:orange", "l1": "tab:green"}


def on_off(validation: bool) -> str:
    return "on" if validation else "off"


def short(failure: str, limit: int = 140) -> str:
    text = failure.removeprefix("RuntimeError: ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def fmt(value: float, spec: str = ".2f", suffix: str = "") -> str:
    return "-" if math.isnan(value) else f"{value:{spec}}{suffix}"
