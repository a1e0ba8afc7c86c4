"""The figures of one run (Results) and the verdicts on the targets the benchmark judges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bench.cases import JUDGED_ALPHA, Case, Outcome, Summary, summarize
from bench.records import UNIT_TIER_TITLE, TestRun
from bench.report.format import short

# The setting the targets are judged on: the same for every implementation and for the floor.
# Off, because the built-in validation is a cost of CDK that is the same for every implementation
# and mostly fixed per synth; with it on, the floor itself is several times larger and hides what
# the implementations differ in. Both settings are reported, and the verdicts for "on" are shown too.
JUDGED_VALIDATION = False
# Per-endpoint slopes start here: issue 13 judges N = 10 to 100, past the one-off costs of a first endpoint.
SLOPE_FROM = 10


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
        """From N = SLOPE_FROM (or the smallest N, when fewer than two sizes reach it: a quick run)."""
        points = [p for p in self.scale_points(impl, validation) if up_to is None or p.case.n <= up_to]
        if len([p for p in points if p.case.n >= SLOPE_FROM]) >= 2:
            points = [p for p in points if p.case.n >= SLOPE_FROM]
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


# Issue 13's bounds.
APP_BOUND = 1.5  # the app's wall clock over the floor's
SLOPE_BOUND = 0.9  # ours per extra endpoint over the alpha L2's
LARGEST_N = 100
UNIT_TIER_BOUND_S = 60.0


def evaluate_targets(results: Results, tests: Sequence[TestRun] = ()) -> list[Target]:
    """Each of issue 13's targets, judged on the median wall clock; CPU time, less hit by other work, alongside."""
    full: dict[bool, Verdict] = {}
    marginal: dict[bool, Verdict] = {}
    marginal_own_role: dict[bool, Verdict] = {}
    largest: dict[bool, Verdict] = {}
    memory: dict[bool, Verdict] = {}
    for validation in (False, True):
        ours = results.get("ours-envs", validation)
        floor = results.floor(validation)
        if ours and floor:
            ratio = results.ratio(ours, validation)
            full[validation] = Verdict(
                f"{ours.wall_s:.2f} s / {floor.wall_s:.2f} s = **{ratio:.2f}x** "
                f"(CPU time: {cpu_ratio(results, ours, validation):.2f}x)",
                ratio <= APP_BOUND,
            )
        else:
            full[validation] = Verdict("not measured", None)
        marginal[validation] = compare_slopes(results, validation, JUDGED_ALPHA)
        marginal_own_role[validation] = compare_slopes(results, validation, "alpha")
        largest[validation] = compare_largest(results, validation)
        memory[validation] = compare_memory(results, validation)
    return [
        Target(f"the app (dev, staging, prod) ≤ {APP_BOUND}x the empty-app floor (wall clock)", full),
        Target(
            f"per extra endpoint (N={SLOPE_FROM}→{LARGEST_N}) ≤ {SLOPE_BOUND}x the alpha L2's, with its default role"
            " as a user writes it (wall clock)",
            marginal,
        ),
        Target(
            f"second row: per extra endpoint ≤ {SLOPE_BOUND}x the alpha L2's with a role we bring (the same grants"
            " as ours)",
            marginal_own_role,
        ),
        Target(
            f"N = {LARGEST_N} EIEndpoints in one stack synthesize, in no more time than the alpha L2's N = {LARGEST_N}"
            " (default role; wall clock)",
            largest,
        ),
        Target(
            "memory: process-tree peak ≤ the alpha L2's for the same endpoints (every N both synthesize, default role)",
            memory,
        ),
        Target(
            f"unit tier of `make test` under {UNIT_TIER_BOUND_S:.0f} s (the whole suite's time: Test suite below)",
            {JUDGED_VALIDATION: unit_tier_verdict(tests)},
        ),
    ]


def compare_slopes(results: Results, validation: bool, alpha_impl: str) -> Verdict:
    """Ours against an alpha L2 setup over the same range of N: up to the largest N both synthesized.

    Inconclusive when a wall-clock slope is negative or wall clock and CPU time disagree: then other
    work on the machine, not the implementations, decided the medians.
    """
    ours_points = {p.case.n for p in results.scale_points("ours", validation)}
    alpha_points = {p.case.n for p in results.scale_points(alpha_impl, validation)}
    common = sorted(ours_points & alpha_points)
    if len(common) < 2:
        return Verdict("not measured", None)
    ours = results.slope("ours", validation, up_to=common[-1])
    alpha = results.slope(alpha_impl, validation, up_to=common[-1])
    if ours is None or alpha is None:
        return Verdict("not measured", None)
    text = (
        f"ours {ours.wall_ms:.1f} ms vs alpha {alpha.wall_ms:.1f} ms per endpoint"
        f" = **{ours.wall_ms / alpha.wall_ms:.2f}x**"
        f" (N={ours.n_from}→{ours.n_to}; CPU time: {ours.cpu_ms:.1f} vs {alpha.cpu_ms:.1f} ms)"
    )
    by_wall = ours.wall_ms <= SLOPE_BOUND * alpha.wall_ms
    by_cpu = ours.cpu_ms <= SLOPE_BOUND * alpha.cpu_ms
    if ours.wall_ms < 0 or alpha.wall_ms < 0 or by_wall != by_cpu:
        return Verdict(text + "; inconclusive: wall clock and CPU time disagree, the run was too noisy", None)
    return Verdict(text, by_wall)


def compare_largest(results: Results, validation: bool) -> Verdict:
    ours = results.get("ours-scale", validation, LARGEST_N)
    alpha = results.get(f"{JUDGED_ALPHA}-scale", validation, LARGEST_N)
    failure = results.failure("ours-scale", validation, LARGEST_N)
    if failure:
        return Verdict(f"synth failed: {short(failure)}", False)
    if ours is None or alpha is None:
        return Verdict(f"not measured (largest N here: {max(results.sizes)})", None)
    return Verdict(
        f"ours {ours.wall_s:.2f} s vs alpha {alpha.wall_s:.2f} s = **{ours.wall_s / alpha.wall_s:.2f}x**"
        f" (CPU time: {ours.cpu_s:.2f} vs {alpha.cpu_s:.2f} s; {ours.resources} resources)",
        ours.wall_s <= alpha.wall_s,
    )


def compare_memory(results: Results, validation: bool) -> Verdict:
    """The largest ratio of ours to the alpha L2's tree peak over every size both synthesized.

    Judged on the scaling stacks only: there both write the same endpoints and nothing else. The app is
    not the same endpoints: (b) has a second endpoint in dev and dashboards, alarms, autoscaling and a
    capture bucket that (c) does not build, so its ratio is given for reference.
    """
    pairs = [
        (f"N={n}", results.get("ours-scale", validation, n), results.get(f"{JUDGED_ALPHA}-scale", validation, n))
        for n in results.sizes
    ]
    ratios = [(label, ours.tree_peak_mib, alpha.tree_peak_mib) for label, ours, alpha in pairs if ours and alpha]
    if not ratios:
        return Verdict("not measured", None)
    label, ours_mib, alpha_mib = max(ratios, key=lambda r: r[1] / r[2])
    app_ours, app_alpha = results.get("ours-envs", validation), results.get("alpha-envs", validation)
    app = (
        f"; for reference, the app (not the same endpoints): {app_ours.tree_peak_mib:.0f} vs "
        f"{app_alpha.tree_peak_mib:.0f} MiB"
        if app_ours and app_alpha
        else ""
    )
    return Verdict(
        f"worst at {label}: {ours_mib:.0f} vs {alpha_mib:.0f} MiB = **{ours_mib / alpha_mib:.2f}x**"
        f" ({len(ratios)} sizes both synthesized{app})",
        all(o <= a for _, o, a in ratios),
    )


def unit_tier_verdict(tests: Sequence[TestRun]) -> Verdict:
    unit = next((t for t in tests if t.title == UNIT_TIER_TITLE), None)
    if unit is None:
        return Verdict("not measured (`--quick` or `--skip-tests`)", None)
    return Verdict(
        f"**{unit.sample.wall_s:.1f} s** ({unit.summary})",
        unit.sample.wall_s < UNIT_TIER_BOUND_S and unit.sample.returncode == 0,
    )


def verdict_cell(verdict: Verdict) -> str:
    mark = {True: "PASS", False: "FAIL", None: "n/a" if verdict.text.startswith("not measured") else "INCONCLUSIVE"}[
        verdict.passed
    ]
    return f"{mark}: {verdict.text}"
