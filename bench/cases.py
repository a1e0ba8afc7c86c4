"""What is measured (a Case), what came of it (an Outcome) and its medians (a Summary)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.measure import Sample

# Scaling sizes from here up get fewer timed runs (bench.run --large-runs): they take longest.
LARGE_N = 50
# The implementations of the scaling stack, each a `<name>-scale` workload: ours; the alpha L2 as a user
# writes it (its default role), which issue 13's per-endpoint target is judged against; the alpha L2
# with a role we bring (the same grants as ours, the second row); plain L1.
IMPLEMENTATIONS = ("ours", "alpha-default", "alpha", "l1")
# The alpha setup the targets are judged against.
JUDGED_ALPHA = "alpha-default"


@dataclass(frozen=True)
class Case:
    workload: str
    n: int
    validation: bool

    @property
    def label(self) -> str:
        size = f" N={self.n}" if self.workload.endswith("-scale") else ""
        return f"{self.workload}{size} validation={'on' if self.validation else 'off'}"

    @property
    def slug(self) -> str:
        return f"{self.workload}-n{self.n}-{'on' if self.validation else 'off'}"


@dataclass
class Outcome:
    case: Case
    samples: list[Sample] = field(default_factory=list)
    failure: str | None = None


@dataclass(frozen=True)
class Summary:
    """Medians over the timed runs of one case (min and max of the wall clock too)."""

    case: Case
    runs: int
    wall_s: float
    wall_min_s: float
    wall_max_s: float
    cpu_s: float
    tree_peak_mib: float
    maxrss_mib: float
    background_cpu: float
    import_s: float
    build_s: float
    synth_s: float
    template_bytes: int
    resources: int


def _median_of(samples: list[Sample], key: str) -> float:
    values = [float(s.result[key]) for s in samples if s.result is not None and key in s.result]
    return statistics.median(values) if values else float("nan")


def summarize(outcome: Outcome) -> Summary | None:
    samples = outcome.samples
    if not samples:
        return None
    walls = [s.wall_s for s in samples]
    last: dict[str, Any] = samples[-1].result or {}
    return Summary(
        case=outcome.case,
        runs=len(samples),
        wall_s=statistics.median(walls),
        wall_min_s=min(walls),
        wall_max_s=max(walls),
        cpu_s=statistics.median(s.cpu_s for s in samples),
        tree_peak_mib=statistics.median(s.tree_peak_mib for s in samples),
        maxrss_mib=statistics.median(s.maxrss_mib for s in samples),
        background_cpu=statistics.median(s.background_cpu for s in samples),
        import_s=_median_of(samples, "import_s"),
        build_s=_median_of(samples, "build_s"),
        synth_s=_median_of(samples, "synth_s"),
        template_bytes=int(last.get("template_bytes", 0)),
        resources=int(last.get("resources", 0)),
    )
