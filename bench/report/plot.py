"""synth_scaling.png: synth time and memory against N endpoints."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
from pathlib import Path

import matplotlib.pyplot as plt  # after matplotlib.use: the backend must be chosen first

from bench.cases import IMPLEMENTATIONS
from bench.report.format import IMPL_COLORS, IMPL_TITLES, on_off
from bench.report.verdicts import Results


def plot(results: Results, path: Path) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=False)
    for axis, validation in zip(axes, (False, True), strict=True):
        floor = results.floor(validation)
        for impl in IMPLEMENTATIONS:
            points = results.scale_points(impl, validation)
            if not points:
                continue
            xs = [p.case.n for p in points]
            ys = [p.wall_s for p in points]
            errors = [[p.wall_s - p.wall_min_s for p in points], [p.wall_max_s - p.wall_s for p in points]]
            axis.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=IMPL_TITLES[impl], color=IMPL_COLORS[impl])
        for impl in IMPLEMENTATIONS:
            failed = [n for n in results.sizes if results.failure(f"{impl}-scale", validation, n)]
            if failed:
                axis.scatter(
                    failed,
                    [0] * len(failed),
                    marker="x",
                    s=80,
                    color=IMPL_COLORS[impl],
                    label=f"{IMPL_TITLES[impl]}: failed",
                )
        if floor:
            axis.axhline(floor.wall_s, color="grey", linestyle="--", label="empty app (floor)")
            axis.axhline(3 * floor.wall_s, color="grey", linestyle=":", label="3x floor")
        axis.set_title(f"built-in template validation {on_off(validation)}")
        axis.set_xlabel("EI endpoints in one stack (N)")
        axis.set_ylabel("synth wall clock, median (s)")
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("python app.py-style synth: time against N (whiskers: min-max of the timed runs)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
