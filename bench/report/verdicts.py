"""The figures of one run (Results) and the verdicts on the targets the benchmark judges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.cases import Case, Outcome, Summary, summarize
from bench.report.format import short

# The setting the targets are judged on: the same for every implementation and for the floor.
# Off, because the built-in validation is a cost of CDK that is the same for every implementation
# and mostly fixed per synth; with it on, the floor itself is several times larger and hides what
# the implementations differ in. Both settings are reported, and the verdicts for "on" are shown too.
JUDGED_VALIDATION = False


@dataclass(frozen=True)
class Verdict:
    text: str
    passed: bool | None  # None: could not be measured


@dataclass(frozen=True)
class Target:
    title: str
    verdicts: dict[bool, Verdict]


@dataclass(frozen=True)
class Slope:
    """Marginal cost per endpoint, from the smallest to the largest N that synthesized."""

    n_from: int
    n_to: int
    wall_ms: float
    cpu_ms: float
    memory_mib: float
    template_bytes: float
    resources: float


class Results:
    """The summaries of one run, with the derived figures the report needs."""

    def __init__(self, outcomes: dict[Case, Outcome], sizes: Sequence[int]) -> None:
        self.outcomes = outcomes
        self.sizes = tuple(sizes)
        self.summaries: dict[Case, Summary] = {}
        for case, outcome in outcomes.items():
            summary = summarize(outcome)
            if summary is not None:
                self.summaries[case] = summary

    def get(self, workload: str, validation: bool, n: int = 1) -> Summary | None:
        return self.summaries.get(Case(workload, n, validation))

    def floor(self, validation: bool) -> Summary | None:
        return self.get("empty", validation)

    def ratio(self, summary: Summary | None, validation: bool) -> float:
        floor = self.floor(validation)
        return summary.wall_s / floor.wall_s if summary and floor else math.nan

    def memory_ratio(self, summary: Summary | None, validation: bool) -> float:
        floor = self.floor(validation)
        return summary.tree_peak_mib / floor.tree_peak_mib if summary and floor else math.nan

    def scale_points(self, impl: str, validation: bool) -> list[Summary]:
        points = [self.get(f"{impl}-scale", validation, n) for n in self.sizes]
        return [p for p in points if p is not None]

    def slope(self, impl: str, validation: bool, up_to: int | None = None) -> Slope | None:
        points = [p for p in self.scale_points(impl, validation) if up_to is None or p.case.n <= up_to]
        if len(points) < 2:
            return None
        low, high = points[0], points[-1]
        span = high.case.n - low.case.n
        return Slope(
            n_from=low.case.n,
            n_to=high.case.n,
            wall_ms=1000 * (high.wall_s - low.wall_s) / span,
            cpu_ms=1000 * (high.cpu_s - low.cpu_s) / span,
            memory_mib=(high.tree_peak_mib - low.tree_peak_mib) / span,
            template_bytes=(high.template_bytes - low.template_bytes) / span,
            resources=(high.resources - low.resources) / span,
        )

    def failure(self, workload: str, validation: bool, n: int = 1) -> str | None:
        outcome = self.outcomes.get(Case(workload, n, validation))
        return outcome.failure if outcome else None


def cpu_ratio(results: Results, summary: Summary, validation: bool) -> float:
    floor = results.floor(validation)
    return summary.cpu_s / floor.cpu_s if floor else math.nan


def evaluate_targets(results: Results) -> list[Target]:
    """Each target judged on the median wall clock; CPU time, less hit by other work, is shown alongside."""
    full: dict[bool, Verdict] = {}
    marginal: dict[bool, Verdict] = {}
    largest: dict[bool, Verdict] = {}
    top = max(results.sizes)
    for validation in (False, True):
        ours = results.get("ours-envs", validation)
        floor = results.floor(validation)
        if ours and floor:
            ratio = results.ratio(ours, validation)
            full[validation] = Verdict(
                f"{ours.wall_s:.2f} s / {floor.wall_s:.2f} s = **{ratio:.2f}x** "
                f"(CPU time: {cpu_ratio(results, ours, validation):.2f}x)",
                ratio <= 1.5,
            )
        else:
            full[validation] = Verdict("not measured", None)
        marginal[validation] = compare_slopes(results, validation)
        biggest = results.get("ours-scale", validation, 100)
        failure = results.failure("ours-scale", validation, 100)
        if biggest and floor:
            ratio = results.ratio(biggest, validation)
            largest[validation] = Verdict(
                f"{biggest.wall_s:.2f} s / {floor.wall_s:.2f} s = **{ratio:.2f}x** "
                f"(CPU time: {cpu_ratio(results, biggest, validation):.2f}x)",
                ratio < 3,
            )
        elif failure:
            slope = results.slope("ours", validation)
            top_point = results.scale_points("ours", validation)[-1:] if slope else []
            guess = ""
            if slope and top_point and floor:
                estimate = top_point[0].wall_s + slope.wall_ms / 1000 * (100 - top_point[0].case.n)
                guess = f" (extrapolated from N={slope.n_from}→{slope.n_to}: {estimate / floor.wall_s:.2f}x the floor)"
            largest[validation] = Verdict(f"synth failed: {short(failure)}{guess}", False)
        else:
            largest[validation] = Verdict(f"not measured (largest N here: {top})", None)
    return [
        Target("full app synth ≤ 1.5x the empty-app floor (wall clock)", full),
        Target("marginal cost per endpoint ≤ the alpha L2's (wall clock)", marginal),
        Target("N = 100 EIEndpoints in one stack < 3x the floor (wall clock)", largest),
    ]


def compare_slopes(results: Results, validation: bool) -> Verdict:
    """Ours against the alpha L2 over the same range of N: up to the largest N both synthesized.

    Inconclusive when a wall-clock slope is negative or wall clock and CPU time disagree: then other
    work on the machine, not the implementations, decided the medians.
    """
    ours_points = {p.case.n for p in results.scale_points("ours", validation)}
    alpha_points = {p.case.n for p in results.scale_points("alpha", validation)}
    common = sorted(ours_points & alpha_points)
    if len(common) < 2:
        return Verdict("not measured", None)
    ours = results.slope("ours", validation, up_to=common[-1])
    alpha = results.slope("alpha", validation, up_to=common[-1])
    if ours is None or alpha is None:
        return Verdict("not measured", None)
    text = (
        f"ours {ours.wall_ms:.1f} ms vs alpha {alpha.wall_ms:.1f} ms per endpoint (N={ours.n_from}→{ours.n_to}; "
        f"CPU time: {ours.cpu_ms:.1f} vs {alpha.cpu_ms:.1f} ms)"
    )
    by_wall = ours.wall_ms <= alpha.wall_ms
    by_cpu = ours.cpu_ms <= alpha.cpu_ms
    if ours.wall_ms < 0 or alpha.wall_ms < 0 or by_wall != by_cpu:
        return Verdict(text + "; inconclusive: wall clock and CPU time disagree, the run was too noisy", None)
    return Verdict(text, by_wall)


def verdict_cell(verdict: Verdict) -> str:
    mark = {True: "PASS", False: "FAIL", None: "n/a" if verdict.text.startswith("not measured") else "INCONCLUSIVE"}[
        verdict.passed
    ]
    return f"{mark}: {verdict.text}"
