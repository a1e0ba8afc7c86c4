"""Where synth time goes: cProfile categories, jsii round trips and import times."""

from __future__ import annotations

import collections
import pstats
from pathlib import Path
from typing import Any

from bench.cases import IMPLEMENTATIONS
from bench.records import Diagnostics
from bench.report.format import IMPL_TITLES, OURS_CATEGORY, md_table
from bench.report.verdicts import Results
from bench.workloads import WORKLOADS


def profile_categories(path: Path) -> tuple[float, list[tuple[str, float]], list[tuple[str, float]]]:
    """(total s, own time by where the code lives, the 10 functions with the most own time)."""
    stats = pstats.Stats(str(path))
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    by_category: dict[str, float] = collections.defaultdict(float)
    functions: list[tuple[str, float]] = []
    for (filename, line, name), (_, _, own, _, _) in raw.items():
        by_category[categorize(filename, name)] += own
        short = filename.split("site-packages/")[-1] if "site-packages" in filename else Path(filename).name
        functions.append((f"{short}:{line} {name}" if filename != "~" else name, own))
    total = sum(by_category.values())
    functions.sort(key=lambda item: -item[1])
    return total, sorted(by_category.items(), key=lambda item: -item[1]), functions[:10]


def categorize(filename: str, name: str) -> str:
    if filename == "~":
        if "readline" in name or "write" in name or "flush" in name:
            return "waiting on Node.js (jsii pipe I/O)"
        if any(f in name for f in ("marshal.loads", "builtins.compile", "__build_class__", "_imp.", "posix.")):
            return "imports"
        return "Python built-ins (other)"
    if "sagemaker_ei_endpoint" in filename or "/stacks/" in filename:
        return OURS_CATEGORY
    if "/bench/" in filename:
        return "benchmark workload code"
    if "site-packages/aws_cdk" in filename:
        return "aws_cdk Python bindings (generated)"
    if "site-packages/typeguard" in filename:
        return "typeguard (jsii's runtime type checks)"
    if any(f"site-packages/{p}" in filename for p in ("jsii", "cattr", "attr")):
        return "jsii Python runtime (serialization)"
    if "importlib" in filename or filename.startswith("<frozen"):
        return "imports"
    return "other Python (stdlib, json)"


def diagnostics_section(results: Results, diagnostics: Diagnostics) -> list[str]:
    lines = [
        "## Where the time goes",
        "",
        "Untimed runs with validation off, after the timed ones. jsii kernel requests are every message Python",
        "sends to the jsii kernel (Node.js): creating an object, calling a method, reading a property, and the",
        "completions of callbacks. *Waiting* is the time Python spends inside those requests (serialization plus",
        "Node.js's work) out of the process's import + build + synth time.",
        "",
    ]
    rows = []
    for result in diagnostics.jsii.values():
        requests: dict[str, int] = result["jsii_requests"]
        busy = result["import_s"] + result["build_s"] + result["synth_s"]
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(requests.items(), key=lambda kv: -kv[1])[:5])
        title = WORKLOADS[result["workload"]].title
        size = f", N={result['n']}" if WORKLOADS[result["workload"]].scales else ""
        rows.append(
            [
                f"{title}{size}",
                str(sum(requests.values())),
                kinds,
                f"{result['jsii_wait_s']:.2f} s of {busy:.2f} s",
                f"{result['import_s']:.2f} / {result['build_s']:.2f} / {result['synth_s']:.2f}",
            ]
        )
    lines += md_table(
        ["workload", "jsii requests", "most frequent", "waiting on jsii", "import / build / synth s"], rows
    )
    per_endpoint = []
    breakdown: list[str] = []
    for impl in IMPLEMENTATIONS:
        runs = sorted((r for r in diagnostics.jsii.values() if r["workload"] == f"{impl}-scale"), key=lambda r: r["n"])
        if len(runs) < 2 or runs[-1]["n"] <= runs[0]["n"]:
            continue
        low, high = runs[0], runs[-1]
        span = high["n"] - low["n"]
        added = sum(high["jsii_requests"].values()) - sum(low["jsii_requests"].values())
        per_endpoint.append(f"{IMPL_TITLES[impl]} {added / span:.0f}")
        for key, what in (("jsii_origins", "Python function that sent them"), ("jsii_targets", "what they call")):
            increments = {k: (v - low[key].get(k, 0)) / span for k, v in high[key].items()}
            top = sorted(((k, v) for k, v in increments.items() if v >= 0.5), key=lambda kv: -kv[1])[:8]
            if top and (impl == "ours" or key == "jsii_targets"):
                breakdown.append(
                    f"- {IMPL_TITLES[impl]}, per endpoint by {what}: "
                    + "; ".join(f"`{k}` {v:.0f}" for k, v in top)
                    + "."
                )
    if per_endpoint:
        lines += ["", "jsii requests per additional endpoint: " + ", ".join(per_endpoint) + ".", "", *breakdown]
    for slug, path in diagnostics.profiles.items():
        total, categories, functions = profile_categories(path)
        lines += [
            "",
            f"cProfile of `{slug}` (own time by where the code lives; cProfile slows Python down, so only the",
            f"shares mean something; {total:.2f} s profiled):",
            "",
            *md_table(["where", "own time", "share"], [[c, f"{s:.2f} s", f"{s / total:.0%}"] for c, s in categories]),
            "",
            "Top functions by own time: " + "; ".join(f"`{name}` {own:.2f} s" for name, own in functions[:6]) + ".",
        ]
    empty_imports = {name for name, _, _ in diagnostics.import_times.get("empty", [])}
    ours_imports = diagnostics.import_times.get("ours-envs", [])
    if empty_imports and ours_imports:
        cumulative = {name: total for name, _, total in ours_imports}
        extra = sorted(((n, own) for n, own, _ in ours_imports if n not in empty_imports), key=lambda r: -r[1])
        packages = [p for p in ("aws_cdk", "sagemaker_ei_endpoint", "stacks.app_builder") if p in cumulative]
        lines += [
            "",
            "`python -X importtime` of (b) against (a) (aws_cdk loads its submodules lazily through"
            " `importlib.import_module`, which -X importtime does not list, so their cost shows in the own time of"
            " the module that first uses them): "
            + ", ".join(f"`{p}` {cumulative[p]:.2f} s cumulative" for p in packages)
            + f"; (b) imports {len(extra)} modules (a) does not, {sum(own for _, own in extra):.2f} s of own time,"
            + " the largest "
            + "; ".join(f"`{name}` {own:.2f} s" for name, own in extra[:6])
            + ".",
        ]
    lines.append("")
    return lines


def own_code_share(diagnostics: Diagnostics) -> str:
    """How much of the profiled time our own Python code takes, as a sentence."""
    shares = []
    for slug, path in diagnostics.profiles.items():
        total, categories, _ = profile_categories(path)
        own = dict(categories).get(OURS_CATEGORY, 0.0)
        shares.append(f"{own / total:.1%} in `{slug}`")
    if not shares:
        return ""
    return (
        " EIEndpoint's own Python code takes "
        + ", ".join(shares)
        + " of the profiled time (cProfile below): the cost is in what it asks the jsii kernel for, not in Python."
    )
