"""What one benchmark run records: its options, its source tree, CLI and test-suite runs, diagnostics.

bench.run fills these in and bench.report reads them; neither imports the other's module.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import Sample


@dataclass(frozen=True)
class Options:
    runs: int
    large_runs: int
    sizes: tuple[int, ...]
    rev: str | None
    output_dir: Path
    run_tests: bool
    quick: bool
    command: str


@dataclass(frozen=True)
class Source:
    """Where the children run: the working tree, or a revision exported to a temporary directory."""

    root: Path
    label: str
    pythonpath: str | None


@dataclass
class CliRun:
    validation: bool
    sample: Sample
    template_bytes: int
    failure: str | None


# The title of the test run issue 13's unit-tier target is judged on.
UNIT_TIER_TITLE = "unit tier"


@dataclass
class TestRun:
    title: str
    expression: str
    sample: Sample
    summary: str
    parallel: bool = False  # with pytest-xdist on every CPU (-n logical), as `make test` runs the unit tier


@dataclass
class Diagnostics:
    jsii: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    profiles: dict[str, Path] = dataclasses.field(default_factory=dict)
    import_times: dict[str, list[tuple[str, float, float]]] = dataclasses.field(default_factory=dict)
