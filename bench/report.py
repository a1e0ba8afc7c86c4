"""BENCHMARKS.md, synth_scaling.png and results.json from one run of bench.run."""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import pstats
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after matplotlib.use: the backend must be chosen first

from bench.cases import LARGE_N, Case, Outcome, Summary, summarize
from bench.workloads import WORKLOADS

if TYPE_CHECKING:
    from bench.run import CliRun, Diagnostics, Options, Source, TestRun

# The setting the targets are judged on: the same for every implementation and for the floor.
# Off, because the built-in validation is a cost of CDK that is the same for every implementation
# and mostly fixed per synth; with it on, the floor itself is several times larger and hides what
# the implementations differ in. Both settings are reported, and the verdicts for "on" are shown too.
JUDGED_VALIDATION = False
IMPL_TITLES = {"ours": "EIEndpoint (ours)", "alpha": "alpha L2", "l1": "plain L1"}
OURS_CATEGORY = "ours: sagemaker_ei_endpoint, stacks"
IMPL_COLORS = {"ours": "tab:blue", "alpha": "tab:orange", "l1": "tab:green"}


def on_off(validation: bool) -> str:
    return "on" if validation else "off"


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


def short(failure: str, limit: int = 140) -> str:
    text = failure.removeprefix("RuntimeError: ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def verdict_cell(verdict: Verdict) -> str:
    mark = {True: "PASS", False: "FAIL", None: "n/a" if verdict.text.startswith("not measured") else "INCONCLUSIVE"}[
        verdict.passed
    ]
    return f"{mark}: {verdict.text}"


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def fmt(value: float, spec: str = ".2f", suffix: str = "") -> str:
    return "-" if math.isnan(value) else f"{value:{spec}}{suffix}"


# ----------------------------------------------------------------------------- template comparison


def assembly_facts(outdir: Path) -> dict[str, Any]:
    """What two implementations' templates can be compared on."""
    templates = {
        p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in outdir.glob("*.template.json")
    }
    types: collections.Counter[str] = collections.Counter()
    actions: set[str] = set()
    managed: set[str] = set()
    variants: dict[str, list[str]] = {}
    outputs: dict[str, list[str]] = {}
    for stack, template in sorted(templates.items()):
        outputs[stack] = sorted(template.get("Outputs", {}))
        for resource in template.get("Resources", {}).values():
            types[resource["Type"]] += 1
            properties = resource.get("Properties", {})
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                for statement in properties.get("PolicyDocument", {}).get("Statement", []):
                    action = statement.get("Action", [])
                    actions.update([action] if isinstance(action, str) else action)
            if resource["Type"] == "AWS::IAM::Role":
                managed.update(json.dumps(arn, sort_keys=True) for arn in properties.get("ManagedPolicyArns", []))
            if resource["Type"] == "AWS::SageMaker::EndpointConfig":
                variants[stack] = sorted(
                    json.dumps({k: v for k, v in pv.items() if k != "ModelName"}, sort_keys=True)
                    for pv in properties.get("ProductionVariants", [])
                )
    warnings = 0
    manifest = outdir / "manifest.json"
    if manifest.exists():
        for artifact in json.loads(manifest.read_text()).get("artifacts", {}).values():
            # Newer cloud assemblies move a stack's metadata to a file of its own.
            metadata: dict[str, list[dict[str, Any]]] = dict(artifact.get("metadata", {}))
            extra = artifact.get("additionalMetadataFile")
            if extra and (outdir / extra).exists():
                metadata.update(json.loads((outdir / extra).read_text()))
            for entries in metadata.values():
                warnings += sum(1 for e in entries if e.get("type") == "aws:cdk:warning")
    return {
        "types": dict(types),
        "actions": sorted(actions),
        "managed_policies": sorted(managed),
        "variants": variants,
        "outputs": outputs,
        "warnings": warnings,
        "template_bytes": sum(p.stat().st_size for p in outdir.glob("*.template.json")),
    }


def comparison_section(kept: Path, sizes: Sequence[int]) -> list[str]:
    lines = ["## Where the alpha L2 and plain L1 versions differ from ours", ""]
    pairs = [
        (
            "environments (b) vs (c)",
            kept / Case("ours-envs", 1, True).slug,
            {"alpha L2": kept / Case("alpha-envs", 1, True).slug},
        ),
        (
            f"scaling stack, N={sizes[0]}",
            kept / Case("ours-scale", sizes[0], True).slug,
            {
                "alpha L2": kept / Case("alpha-scale", sizes[0], True).slug,
                "plain L1": kept / Case("l1-scale", sizes[0], True).slug,
            },
        ),
    ]
    for title, ours_dir, others in pairs:
        if not ours_dir.exists() or not all(d.exists() for d in others.values()):
            lines += [f"{title}: not compared (a warm-up synth failed).", ""]
            continue
        ours = assembly_facts(ours_dir)
        facts = {name: assembly_facts(d) for name, d in others.items()}
        header = ["", "ours", *facts]
        types = sorted(set(ours["types"]).union(*(f["types"] for f in facts.values())))
        rows = [
            [f"`{t}`", str(ours["types"].get(t, 0)), *(str(f["types"].get(t, 0)) for f in facts.values())]
            for t in types
        ]

        def diff(key: str, other: dict[str, Any], ours: dict[str, Any] = ours) -> str:
            extra = sorted(set(other[key]) - set(ours[key]))
            missing = sorted(set(ours[key]) - set(other[key]))
            parts = ([f"adds {', '.join(f'`{a}`' for a in extra)}"] if extra else []) + (
                [f"lacks {', '.join(f'`{a}`' for a in missing)}"] if missing else []
            )
            return "; ".join(parts) or "same"

        rows += [
            ["IAM actions vs ours", "-", *(diff("actions", f) for f in facts.values())],
            [
                "managed policies",
                str(len(ours["managed_policies"])),
                *(str(len(f["managed_policies"])) for f in facts.values()),
            ],
            [
                "production variants (without ModelName)",
                "-",
                *("identical" if f["variants"] == ours["variants"] else "**differ**" for f in facts.values()),
            ],
            [
                "outputs",
                "-",
                *("same ids" if f["outputs"] == ours["outputs"] else "**differ**" for f in facts.values()),
            ],
            ["warnings in the cloud assembly", str(ours["warnings"]), *(str(f["warnings"]) for f in facts.values())],
            ["template bytes", str(ours["template_bytes"]), *(str(f["template_bytes"]) for f in facts.values())],
        ]
        lines += [f"{title} (the first timed round's synths, validation on):", "", *md_table(header, rows), ""]
    lines += [
        "The alpha and L1 versions reproduce what issue 6 asks to compare: the same variants, accelerators,",
        "execution-role statements (logs, metrics, ECR login, reading the model artifact) and outputs. Whatever",
        "else the table shows EIEndpoint writing (resource types the others have 0 of) is a default of EIEndpoint",
        "they do not reproduce, and it is part of what the timings of ours pay for.",
        "",
        "How the alpha L2 (aws-cdk.aws-sagemaker-alpha 2.275.0a0) differs, read from its source and the templates:",
        "",
        "- **Role.** Without `role` the L2 creates one with the AWS managed policy `AmazonSageMakerFullAccess`.",
        "  Here every alpha endpoint gets an `iam.Role` we bring, with EIEndpoint's base statement (logs, metrics,",
        "  ECR login), so no AWS managed policy is attached.",
        "- **Model data.** `ModelData.from_bucket` calls `bucket.grantRead`: `s3:GetObject*`, `s3:GetBucket*` and",
        "  `s3:List*` on the whole bucket, not `s3:GetObject` on the one key. Its `ModelDataUrl` is an",
        "  `https://s3.<region>.<suffix>/...` URL where EIEndpoint writes `s3://bucket/key`.",
        "- **Image.** The L2 has no plain-URI image source. `ContainerImage.from_dlc(repository, tag, account)`",
        "  imports the repository and grants the three ECR pull actions on it (EIEndpoint grants none for AWS's",
        "  own registries). The account comes from the same catalog; for the environment-agnostic dev stack from",
        "  the same region mapping (`Fn::FindInMap`), so the image URI is the same, built with `Fn::Join`.",
        "- **Names.** Model, endpoint config and endpoint names are left to CloudFormation (the L2 names them only",
        "  when `model_name`/`endpoint_config_name`/`endpoint_name` are given), as EIEndpoint does. Logical IDs",
        "  differ (the L2's endpoint child is `Endpoint`), so both override the output ids.",
        "- **Checks and warnings.** The L2 has `AcceleratorType.of()` but none of EIEndpoint's EI checks (serverless",
        "  variant, region without an EI image, accelerated host), no EI-retirement warning and no acknowledgment of",
        "  `CloudFormation-Validate::F3002`: without the acknowledgment the benchmark adds, every alpha (and L1)",
        "  synth fails under this project's `@aws-cdk/core:validateAgainstDefaultRules: true`.",
        "- **Dependencies.** The L2 model depends on the whole role construct (role and its default policy).",
        "- **Plain L1** (`bench/app_l1.py`) writes `CfnRole`, `CfnPolicy`, `CfnModel` (`DependsOn` the policy),",
        "  `CfnEndpointConfig` and `CfnEndpoint` with literal values: the least work the CDK can do for an endpoint.",
        "",
    ]
    return lines


# ----------------------------------------------------------------------------- profiles


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
    for impl in ("ours", "alpha", "l1"):
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


# ----------------------------------------------------------------------------- plot


def plot(results: Results, path: Path) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=False)
    for axis, validation in zip(axes, (False, True), strict=True):
        floor = results.floor(validation)
        for impl in ("ours", "alpha", "l1"):
            points = results.scale_points(impl, validation)
            if not points:
                continue
            xs = [p.case.n for p in points]
            ys = [p.wall_s for p in points]
            errors = [[p.wall_s - p.wall_min_s for p in points], [p.wall_max_s - p.wall_s for p in points]]
            axis.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=IMPL_TITLES[impl], color=IMPL_COLORS[impl])
        for impl in ("ours", "alpha", "l1"):
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


# ----------------------------------------------------------------------------- the report


def write_report(
    *,
    output_dir: Path,
    options: Options,
    source: Source,
    machine: dict[str, Any],
    outcomes: dict[Case, Outcome],
    cli_runs: list[CliRun],
    diagnostics: Diagnostics,
    tests: list[TestRun],
    kept: Path,
) -> list[Path]:
    results = Results(outcomes, options.sizes)
    targets = evaluate_targets(results)
    png = output_dir / "synth_scaling.png"
    plot(results, png)
    markdown = output_dir / "BENCHMARKS.md"
    lines = header_lines(options, source, machine)
    lines += targets_lines(targets)
    lines += findings_lines(results, diagnostics)
    lines += app_lines(results, cli_runs)
    lines += scaling_lines(results)
    lines += validation_lines(results)
    lines += test_lines(tests)
    lines += diagnostics_section(results, diagnostics)
    lines += comparison_section(kept, options.sizes)
    lines += method_lines(options)
    markdown.write_text("\n".join(lines).rstrip() + "\n")
    raw = output_dir / "results.json"
    raw.write_text(
        json.dumps(
            {
                "command": options.command,
                "source": source.label,
                "machine": machine,
                "summaries": [dataclasses.asdict(s) for s in results.summaries.values()],
                "runs": [
                    {
                        "case": dataclasses.asdict(o.case),
                        "failure": o.failure,
                        "samples": [dataclasses.asdict(s) for s in o.samples],
                    }
                    for o in outcomes.values()
                ],
                "cli": [
                    {"validation": c.validation, "failure": c.failure, **dataclasses.asdict(c.sample)} for c in cli_runs
                ],
                "tests": [
                    {"expression": t.expression, "summary": t.summary, **dataclasses.asdict(t.sample)} for t in tests
                ],
                "jsii": diagnostics.jsii,
            },
            indent=1,
            default=str,
        )
    )
    return [markdown, png, raw]


def header_lines(options: Options, source: Source, machine: dict[str, Any]) -> list[str]:
    packages = machine["packages"]
    load_start, load_end = machine["loadavg_start"], machine["loadavg_end"]
    return [
        "# Synth benchmarks (issue 6)",
        "",
        "Generated by `make bench`; do not edit by hand, rerun it."
        + (" **Quick smoke run, not for judging.**" if options.quick else ""),
        "",
        f"- Command, from the repository root: `{options.command}`",
        f"- Date: {machine['date']}; the run took {machine['duration_s'] / 60:.1f} min",
        f"- Source measured: {source.label}",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), {machine['memory_gib']:.1f} GiB memory, "
        f"Linux {machine['kernel']}",
        f"- Load average (1, 5, 15 min) at start {', '.join(f'{x:.2f}' for x in load_start)}, "
        f"at end {', '.join(f'{x:.2f}' for x in load_end)}",
        f"- Python {machine['python']}, Node.js {machine['node']}, aws-cdk-lib {packages['aws-cdk-lib']}, "
        f"aws-cdk.aws-sagemaker-alpha {packages['aws-cdk.aws-sagemaker-alpha']}, constructs {packages['constructs']}, "
        f"jsii {packages['jsii']}, CDK CLI {machine['cdk_cli']}",
        "",
        "All figures are ratios to the **floor**, an empty app (one empty `Stack`) synthesized the same way with",
        "the same validation setting; seconds are given for reference. Memory is the peak summed RSS of the process",
        "tree (Python and its Node.js child); see [Method](#method).",
        "",
    ]


def targets_lines(targets: list[Target]) -> list[str]:
    judged = on_off(JUDGED_VALIDATION)
    rows = [
        [t.title, verdict_cell(t.verdicts[JUDGED_VALIDATION]), verdict_cell(t.verdicts[not JUDGED_VALIDATION])]
        for t in targets
    ]
    return [
        "## Targets",
        "",
        *md_table(
            [
                "target",
                f"judged: validation {judged} (all cases)",
                f"for reference: validation {on_off(not JUDGED_VALIDATION)}",
            ],
            rows,
        ),
        "",
        f"Targets are judged with CDK's built-in template validation **{judged}** for the floor and every",
        "implementation alike. The validation is CDK's own work, the same for every implementation: a large fixed",
        "cost per synth that the empty app pays too, plus a cost per resource (see",
        "[Validation](#what-the-built-in-validation-costs)); with it on, the floor is several times larger and",
        "every ratio shrinks towards 1 whatever the implementation does. The project's",
        "`cdk.json` keeps `@aws-cdk/core:validateAgainstDefaultRules: true`, so `make synth` pays it: the right-hand",
        "column is what a user of `make synth` sees.",
        "",
    ]


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


def findings_lines(results: Results, diagnostics: Diagnostics) -> list[str]:
    """The figures that explain the verdicts, in sentences."""
    judged = JUDGED_VALIDATION
    lines = ["## Findings", ""]
    samples = [sample for outcome in results.outcomes.values() for sample in outcome.samples]
    if samples:
        background = statistics.median(s.background_cpu for s in samples)
        if background > 0.15:
            lines.append(
                f"- **Other work used a median {background:.0%} of the machine's CPU during the timed runs**"
                " (the machine was not idle: other processes ran meanwhile). Wall clocks are inflated and noisy;"
                " the CPU-time figures shown next to them are less affected."
            )
    ours, floor, alpha = results.get("ours-envs", judged), results.floor(judged), results.get("alpha-envs", judged)
    if ours and floor:

        def phases(s: Summary) -> tuple[float, float, float, float]:
            return s.import_s, s.build_s, s.synth_s, s.wall_s - s.import_s - s.build_s - s.synth_s

        deltas = [a - b for a, b in zip(phases(ours), phases(floor), strict=True)]
        line = (
            f"- (b) against the floor, validation {on_off(judged)}: +{ours.wall_s - floor.wall_s:.2f} s, of which"
            f" imports {deltas[0]:+.2f} s (our package and the aws_cdk submodules it loads), building the tree"
            f" {deltas[1]:+.2f} s, app.synth() {deltas[2]:+.2f} s, process start and exit {deltas[3]:+.2f} s."
            f" The 1.5x bound leaves {0.5 * floor.wall_s:.2f} s."
        )
        if alpha:
            line += (
                f" The alpha L2 version of the same endpoints is at {results.ratio(alpha, judged):.2f}x: its imports"
                f" alone take {alpha.import_s - floor.import_s:+.2f} s over the floor's."
            )
        lines.append(line)
    counts = {
        impl: sorted((r for r in diagnostics.jsii.values() if r["workload"] == f"{impl}-scale"), key=lambda r: r["n"])
        for impl in ("ours", "alpha", "l1")
    }
    per_endpoint = {}
    for impl, runs in counts.items():
        if len(runs) >= 2 and runs[-1]["n"] > runs[0]["n"]:
            added = sum(runs[-1]["jsii_requests"].values()) - sum(runs[0]["jsii_requests"].values())
            per_endpoint[impl] = added / (runs[-1]["n"] - runs[0]["n"])
    slopes = {impl: results.slope(impl, judged) for impl in ("ours", "alpha", "l1")}
    if per_endpoint.get("ours") and per_endpoint.get("alpha"):
        low, high = counts["ours"][0], counts["ours"][-1]
        span = high["n"] - low["n"]
        origins = sorted(
            ((k, (v - low["jsii_origins"].get(k, 0)) / span) for k, v in high["jsii_origins"].items()),
            key=lambda kv: -kv[1],
        )[:4]
        line = (
            f"- Per endpoint, EIEndpoint sends {per_endpoint['ours']:.0f} jsii requests to Node.js, the alpha L2"
            f" {per_endpoint['alpha']:.0f}"
            + (f" and plain L1 {per_endpoint['l1']:.0f}" if "l1" in per_endpoint else "")
        )
        line += ". Most of ours come from " + ", ".join(f"`{k}` ({v:.0f})" for k, v in origins) + "."
        ours_slope = slopes["ours"]
        if ours_slope and ours_slope.resources:
            line += (
                f" It also writes {ours_slope.resources:.0f} resources per endpoint"
                f" ({ours_slope.template_bytes:.0f} template bytes) where the others write"
                f" {slopes['alpha'].resources if slopes['alpha'] else float('nan'):.0f}."
            )
        lines.append(line)
    failure = results.failure("ours-scale", judged, 100)
    if failure and "TooManyResources" in failure and slopes["ours"] and slopes["ours"].resources:
        fits = int(500 // slopes["ours"].resources)
        lines.append(
            f"- N = 100 cannot be synthesized with EIEndpoint: at {slopes['ours'].resources:.0f} resources per endpoint"
            f" a stack holds at most {fits} of them under CloudFormation's 500-resource limit, which CDK enforces at"
            " synth. The alpha L2 and L1 versions write 5 per endpoint and just fit."
        )
    ours_runs = counts["ours"]
    if len(ours_runs) >= 2 and floor:
        smallest, biggest = ours_runs[0], ours_runs[-1]
        added = sum(biggest["jsii_requests"].values()) - sum(smallest["jsii_requests"].values())
        per_request_ms = 1000 * (biggest["jsii_wait_s"] - smallest["jsii_wait_s"]) / max(1, added)
        lines.append(
            "- Not ours: the floor itself (Python start, loading aws-cdk-lib into Node.js, exit:"
            f" {floor.wall_s:.2f} s), the aws_cdk Python bindings of the modules any SageMaker construct needs"
            " (the alpha L2 pays them too), the built-in validation, and the price of one jsii request"
            f" (about {per_request_ms:.1f} ms of waiting per added request, Node.js's work included, from"
            f" EIEndpoint's N = {smallest['n']} and {biggest['n']} runs). Ours: how many requests EIEndpoint sends"
            " and resources it writes per endpoint (above), and the modules our package imports whether a stack"
            " uses them or not (the -X importtime line below)." + own_code_share(diagnostics)
        )
    floor_on, floor_off = results.floor(True), results.floor(False)
    if floor_on and floor_off:
        line = (
            f"- Built-in validation on the empty app: {floor_on.wall_s - floor_off.wall_s:+.2f} s wall clock,"
            f" {floor_on.cpu_s - floor_off.cpu_s:+.2f} s CPU time,"
            f" {floor_on.tree_peak_mib - floor_off.tree_peak_mib:+.0f} MiB, paid once per synth whatever the app holds"
        )
        on, off = results.slope("l1", True), results.slope("l1", False)
        if on and off:
            line += (
                f"; on top of that about {on.cpu_ms - off.cpu_ms:.0f} ms CPU time per endpoint (plain L1, 5 resources)"
            )
        lines.append(line + ".")
    lines.append("")
    return lines


def summary_row(
    results: Results, summary: Summary | None, validation: bool, title: str, failure: str | None
) -> list[str]:
    if summary is None:
        return [title, on_off(validation), f"failed: {short(failure)}" if failure else "not measured", *["-"] * 7]
    return [
        title,
        on_off(validation),
        f"**{fmt(results.ratio(summary, validation))}x**",
        f"{summary.wall_s:.2f} ({summary.wall_min_s:.2f}-{summary.wall_max_s:.2f})",
        f"{summary.cpu_s:.2f}",
        f"{fmt(results.memory_ratio(summary, validation))}x ({summary.tree_peak_mib:.0f})",
        f"{summary.maxrss_mib:.0f}",
        f"{summary.import_s:.2f} / {summary.build_s:.2f} / {summary.synth_s:.2f}",
        f"{summary.template_bytes} B, {summary.resources}",
        f"{summary.background_cpu:.0%}",
    ]


SUMMARY_HEADER = [
    "case",
    "validation",
    "wall ÷ floor",
    "wall s, median (min-max)",
    "CPU s",
    "tree peak ÷ floor (MiB)",
    "largest process MiB",
    "import / build / synth s",
    "templates, resources",
    "background CPU",
]


def app_lines(results: Results, cli_runs: list[CliRun]) -> list[str]:
    rows = []
    for workload in ("empty", "ours-envs", "alpha-envs"):
        for validation in (True, False):
            title = {"empty": "(a) ", "ours-envs": "(b) ", "alpha-envs": "(c) "}[workload] + WORKLOADS[workload].title
            rows.append(
                summary_row(
                    results, results.get(workload, validation), validation, title, results.failure(workload, validation)
                )
            )
    lines = [
        "## (a) floor, (b) this app, (c) the same endpoints with the alpha L2",
        "",
        "Each a fresh `python` process: `cdk.App(context=<cdk.json context>)`, build, `app.synth()`, as the CLI",
        "runs `python3 app.py` but without the CLI. Medians of the timed runs; the phases are measured inside the",
        "process, the rest of the wall clock is interpreter start-up and exit (stopping Node.js).",
        "",
        *md_table(SUMMARY_HEADER, rows),
        "",
    ]
    for run in cli_runs:
        direct = results.get("ours-envs", run.validation)
        floor = results.floor(run.validation)
        extra = f", {run.sample.wall_s - direct.wall_s:+.2f} s against (b) run directly" if direct else ""
        ratio = f"{run.sample.wall_s / floor.wall_s:.2f}x the floor, " if floor else ""
        status = f" **failed**: {run.failure}" if run.failure else ""
        lines.append(
            f"- `cdk synth --quiet{'' if run.validation else ' --no-validation'}` through the CLI"
            f" (one run, for reference): {ratio}{run.sample.wall_s:.2f} s{extra};"
            f" tree peak {run.sample.tree_peak_mib:.0f} MiB"
            f" (the CLI's Node.js, Python and jsii's Node.js at once){status}."
        )
    lines.append("")
    return lines


def scaling_lines(results: Results) -> list[str]:
    lines = [
        "## Scaling: N EI endpoints (2 variants each) in one stack",
        "",
        "![synth time against N](synth_scaling.png)",
        "",
    ]
    for validation in (JUDGED_VALIDATION, not JUDGED_VALIDATION):
        rows = []
        for impl in ("ours", "alpha", "l1"):
            for n in results.sizes:
                summary = results.get(f"{impl}-scale", validation, n)
                failure = results.failure(f"{impl}-scale", validation, n)
                rows.append(summary_row(results, summary, validation, f"{IMPL_TITLES[impl]}, N={n}", failure))
        lines += [f"### Validation {on_off(validation)}", "", *md_table(SUMMARY_HEADER, rows), ""]
    rows = []
    for validation in (JUDGED_VALIDATION, not JUDGED_VALIDATION):
        floor = results.floor(validation)
        for impl in ("ours", "alpha", "l1"):
            slope = results.slope(impl, validation)
            if slope is None:
                rows.append([IMPL_TITLES[impl], on_off(validation), "not measured", "-", "-", "-", "-"])
                continue
            share = f"{slope.wall_ms / (1000 * floor.wall_s):.2%} of the floor" if floor else "-"
            rows.append(
                [
                    IMPL_TITLES[impl],
                    on_off(validation),
                    f"N={slope.n_from}→{slope.n_to}",
                    f"**{slope.wall_ms:.1f} ms** ({share})",
                    f"{slope.cpu_ms:.1f} ms",
                    f"{slope.memory_mib:.2f} MiB",
                    f"{slope.template_bytes:.0f} B, {slope.resources:.0f} resources",
                ]
            )
    per_resource = []
    for impl in ("ours", "alpha", "l1"):
        slope = results.slope(impl, JUDGED_VALIDATION)
        if slope and slope.resources:
            per_resource.append(f"{IMPL_TITLES[impl]} {slope.wall_ms / slope.resources:.1f} ms")
    lines += [
        "### Marginal cost per endpoint",
        "",
        "Slope of the medians from the smallest to the largest N that synthesized. The implementations do not",
        "write the same number of resources per endpoint (see the comparison below); per resource, with validation",
        f"{on_off(JUDGED_VALIDATION)}: " + (", ".join(per_resource) or "-") + ".",
        "",
        *md_table(
            [
                "implementation",
                "validation",
                "range",
                "wall clock per endpoint",
                "CPU per endpoint",
                "memory per endpoint",
                "template per endpoint",
            ],
            rows,
        ),
        "",
    ]
    return lines


def validation_lines(results: Results) -> list[str]:
    rows = []
    for case in sorted({(c.workload, c.n) for c in results.summaries}, key=lambda wn: (wn[0].endswith("-scale"), wn)):
        on, off = results.get(case[0], True, case[1]), results.get(case[0], False, case[1])
        if on and off:
            title = WORKLOADS[case[0]].title + (f", N={case[1]}" if WORKLOADS[case[0]].scales else "")
            rows.append(
                [
                    title,
                    f"{on.wall_s - off.wall_s:+.2f} s",
                    f"{on.synth_s - off.synth_s:+.2f} s",
                    f"{on.tree_peak_mib - off.tree_peak_mib:+.0f} MiB",
                ]
            )
    return [
        "## What the built-in validation costs",
        "",
        "Median with validation on minus median with it off, per case (`App(builtin_cloud_formation_validation=...)`).",
        "",
        *md_table(["case", "wall clock", "inside app.synth()", "tree peak memory"], rows),
        "",
    ]


def test_lines(tests: list[TestRun]) -> list[str]:
    if not tests:
        return ["## Test suite", "", "Not timed in this run (`--quick` or `--skip-tests`).", ""]
    rows = [
        [
            t.title,
            f"`pytest -m {t.expression!r}`",
            f"{t.sample.wall_s:.1f} s",
            f"{t.sample.tree_peak_mib:.0f} MiB",
            t.summary,
        ]
        for t in tests
    ]
    return [
        "## Test suite",
        "",
        "One run each (not five: each takes tens of seconds), with `-q -p no:cacheprovider`. The marker",
        "expressions name only markers `pyproject.toml` defines (`--strict-markers` rejects others).",
        "",
        *md_table(["part", "command", "wall clock", "tree peak", "pytest's summary"], rows),
        "",
    ]


def method_lines(options: Options) -> list[str]:
    return [
        "## Method",
        "",
        "- Every measured synth is a fresh process: `python -m bench.workloads <workload> --validation on|off`,",
        "  started by the harness with the venv's `bin` first on `PATH` (Node.js 24) and without `CDK_*`",
        "  variables, so the dev stack is environment-agnostic as in the tests. Outputs go to a temporary directory.",
        "- Warm-up, discarded: (a), (b), (c) once each with validation on, and the L1 workload once (the scaling",
        "  workloads of ours and the alpha L2 load the same modules as (b) and (c)). Then rounds: each round runs",
        "  every case once, alternating workloads, sizes and validation settings (the first round's cloud",
        "  assemblies with validation on are the ones compared above), so slow drift of the machine hits all",
        f"  alike. {options.runs} timed runs per case for (a)-(c) and N < {LARGE_N}; {options.large_runs} for",
        f"  N ≥ {LARGE_N}, to keep the run near 15 minutes on 2 cores.",
        "  Figures are medians; min-max is shown for the wall clock.",
        "- Wall clock: from starting the process to reaping it (interpreter start, imports, Node.js start and",
        "  assembly load, build, synth, exit).",
        "- Memory: psutil samples the summed RSS of the process and all its descendants every 20 ms; the peak of",
        "  that sum is the *tree peak*. jsii runs Node.js as a child of Python, and both hold memory at the same",
        "  time, so the largest single process (`ru_maxrss` from `wait4`, what `/usr/bin/time -f %M` prints) is",
        "  shown too as a lower bound.",
        "- CPU s: user + system time of the whole tree. *Background CPU* is the share of the machine's CPU other",
        "  processes used during the run; it is not zero when other work runs on the machine, and wall-clock figures",
        "  with a high share are less trustworthy than the CPU figures.",
        "- The empty stack acknowledges `CloudFormation-Validate::F0001` (no resources): otherwise the validation",
        "  fails its synth. The alpha and L1 endpoints acknowledge `CloudFormation-Validate::F3002` as EIEndpoint",
        "  does for itself.",
        "- The CLI figure is one `cdk synth --quiet` (and one with `--no-validation`) run through",
        "  `node_modules/.bin/cdk`, which starts `python3 app.py` itself.",
        "- Diagnostics (jsii counts, cProfile, `-X importtime`) are separate, untimed runs.",
        "",
    ]
