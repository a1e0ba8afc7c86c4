"""`make bench`: synth time and memory of this project against an empty app, the alpha L2 and plain L1.

    .venv-bench/bin/python -m bench.run            # the full run (about 15 minutes on 2 cores)
    .venv-bench/bin/python -m bench.run --quick    # smoke test: 2 runs, N up to 10, no test-suite timing
    .venv-bench/bin/python -m bench.run --rev HEAD # benchmark a committed revision, not the working tree

Writes BENCHMARKS.md, synth_scaling.png and results.json to bench/ (with --quick: to a new
temporary directory, so a smoke test never overwrites the real figures).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from bench.cases import IMPLEMENTATIONS, LARGE_N, Case, Outcome
from bench.common import ROOT
from bench.measure import LONG_RUN_SAMPLE_INTERVAL_S, Sample, run_measured
from bench.records import UNIT_TIER_TITLE, CliRun, Diagnostics, Options, Source, TestRun
from bench.workloads import template_stats

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_SIZES = (1, 10, 50, 100)
QUICK_SIZES = (1, 10)
APP_WORKLOADS = ("empty", "ours-envs", "alpha-envs")
# Environment variables that would change what a synth does; the CLI sets them, a bare `python app.py` does not.
CDK_VARIABLES = ("CDK_VALIDATION", "CDK_CONTEXT_JSON", "CDK_OUTDIR", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")
# Issue 13's unit tier is everything but these (the CLI and end-to-end tests); the Makefile's `make test`
# runs the same two tiers.
SLOW_MARKERS = ("cli", "e2e")


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 runs, N = 1 and 10, no test-suite timing")
    parser.add_argument("--runs", type=int, help="timed runs per case after the warm-up (default 5; --quick: 2)")
    parser.add_argument(
        "--large-runs", type=int, help=f"timed runs for N >= {LARGE_N} (default 3; never more than --runs)"
    )
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), help="N values, e.g. 1,10,50")
    parser.add_argument(
        "--rev", help="benchmark this git revision (exported with git archive) instead of the working tree"
    )
    parser.add_argument("--output-dir", type=Path, help="where the report goes (default bench/; --quick: a temp dir)")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    args = parser.parse_args(argv)
    runs = args.runs or (2 if args.quick else 5)
    large_runs = min(runs, args.large_runs or (2 if args.quick else 3))
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if runs < 1 or large_runs < 1 or not sizes or min(sizes) < 1:
        parser.error("runs and sizes must be at least 1")
    output_dir = args.output_dir or (Path(tempfile.mkdtemp(prefix="bench-quick-")) if args.quick else BENCH_DIR)
    command = shlex.join([".venv-bench/bin/python", "-m", "bench.run", *(argv if argv is not None else sys.argv[1:])])
    return Options(
        runs=runs,
        large_runs=large_runs,
        sizes=tuple(sorted(set(sizes))),
        rev=args.rev,
        output_dir=output_dir,
        run_tests=not (args.skip_tests or args.quick),
        quick=args.quick,
        command=command,
    )


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def prepare_source(rev: str | None, workdir: Path) -> Source:
    if rev is None:
        changed = len(_git("status", "--porcelain").splitlines())
        label = f"working tree of {ROOT} at git {_git('rev-parse', '--short', 'HEAD')}"
        return Source(
            root=ROOT, label=label + (f", {changed} paths uncommitted" if changed else ", clean"), pythonpath=None
        )
    commit = _git("rev-parse", rev)
    root = workdir / "source"
    root.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    # The harness itself is taken from this checkout, so any revision can be measured the same way.
    shutil.rmtree(root / "bench", ignore_errors=True)
    shutil.copytree(BENCH_DIR, root / "bench", ignore=shutil.ignore_patterns("__pycache__", "*.md", "*.png", "*.json"))
    # Installed tools live in untracked directories (node_modules, .venv-*): link them in.
    for tools in [ROOT / "node_modules", *ROOT.glob(".venv-*")]:
        if tools.is_dir() and not (root / tools.name).exists():
            (root / tools.name).symlink_to(tools)
    return Source(
        root=root,
        label=f"git {rev} = {commit[:12]}, exported with git archive (the working tree is not used)",
        # Ahead of the editable install's .pth entry, which points at the working tree.
        pythonpath=str(root / "constructs" / "src"),
    )


def child_environment(source: Source) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CDK_VARIABLES}
    venv_bin = str(Path(sys.executable).parent)
    # jsii and the CDK CLI must run on the venv's Node.js 24, not the machine's Node 20.
    env["PATH"] = os.pathsep.join([venv_bin, str(source.root / "node_modules" / ".bin"), env.get("PATH", "")])
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env.pop("PYTHONPATH", None)
    if source.pythonpath:
        env["PYTHONPATH"] = source.pythonpath
    return env


def last_error_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["no output"])[-1][:300]


class Runner:
    """Runs cases one at a time (never two at once: the machine has few cores) and says what it does."""

    def __init__(self, *, source: Source, env: dict[str, str], workdir: Path, planned: int) -> None:
        self.source = source
        self.env = env
        self.workdir = workdir
        self.kept = workdir / "kept"
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True)
        self.planned = planned
        self.done = 0
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        elapsed = int(time.monotonic() - self.started)
        print(f"[{elapsed // 60:2d}m{elapsed % 60:02d}s {self.done:3d}/{self.planned}] {text}", flush=True)

    def synth(
        self, case: Case, *, keep: bool = False, extra: Sequence[str] = (), python_flags: Sequence[str] = ()
    ) -> tuple[Sample, Path]:
        outdir = self.kept / case.slug if keep else self.workdir / "out"
        shutil.rmtree(outdir, ignore_errors=True)
        outdir.mkdir(parents=True)
        result_file = self.workdir / "result.json"
        result_file.unlink(missing_ok=True)
        log = self.logs / f"{case.slug}.log"
        command = [
            sys.executable,
            *python_flags,
            "-m",
            "bench.workloads",
            case.workload,
            f"--n={case.n}",
            f"--validation={'on' if case.validation else 'off'}",
            f"--outdir={outdir}",
            f"--result={result_file}",
            *extra,
        ]
        sample = run_measured(command, cwd=self.source.root, env=self.env, result_file=result_file, log_file=log)
        if not keep:
            shutil.rmtree(outdir, ignore_errors=True)
        self.done += 1
        return sample, log

    def measure(self, outcome: Outcome, *, what: str, keep: bool = False) -> None:
        """One run of ``outcome.case``; ``what`` is "warm-up" (discarded) or "run i/k" (kept)."""
        sample, log = self.synth(outcome.case, keep=keep)
        if sample.returncode != 0 or sample.result is None:
            outcome.failure = last_error_line(log)
            self.say(f"{outcome.case.label:40s} {what}: FAILED ({outcome.failure}); no more runs of it")
            return
        if what != "warm-up":
            outcome.samples.append(sample)
        self.say(
            f"{outcome.case.label:40s} {what}: {sample.wall_s:6.2f} s, {sample.tree_peak_mib:5.0f} MiB tree, "
            f"background CPU {sample.background_cpu:4.0%}"
        )

    def cli(self, validation: bool) -> CliRun:
        outdir = self.workdir / "cli.out"
        shutil.rmtree(outdir, ignore_errors=True)
        cdk = str(self.source.root / "node_modules" / ".bin" / "cdk")
        command = [cdk, "synth", "--quiet", f"--output={outdir}", *([] if validation else ["--no-validation"])]
        log = self.logs / f"cli-{'on' if validation else 'off'}.log"
        sample = run_measured(command, cwd=self.source.root, env=self.env, log_file=log)
        self.done += 1
        failure = None if sample.returncode == 0 else last_error_line(log)
        run = CliRun(validation, sample, template_stats(outdir)["template_bytes"] if outdir.exists() else 0, failure)
        shutil.rmtree(outdir, ignore_errors=True)
        self.say(
            f"cdk synth (CLI) validation={'on' if validation else 'off'}: {sample.wall_s:.2f} s, "
            f"{sample.tree_peak_mib:.0f} MiB tree" + (f", FAILED ({failure})" if failure else "")
        )
        return run

    def pytest(self, title: str, expression: str) -> TestRun:
        self.say(f"test suite, {title}: pytest -m {expression!r} (one run; it is slow)")
        log = self.logs / f"pytest-{title.split()[0]}.log"
        # The unit tier runs on every CPU, as `make test` runs it (the Makefile's UNIT_TIER).
        parallel = ["-n", "logical"] if title == UNIT_TIER_TITLE else []
        # The project's test environment, as `make test` runs it (this harness runs in .venv-bench).
        project_python = ROOT / ".venv" / "bin" / "python"
        python = str(project_python) if project_python.exists() else sys.executable
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *parallel, "-m", expression]
        sample = run_measured(
            command, cwd=self.source.root, env=self.env, log_file=log, sample_interval_s=LONG_RUN_SAMPLE_INTERVAL_S
        )
        self.done += 1
        lines = [line.strip("= \n") for line in log.read_text(errors="replace").splitlines() if line.strip()]
        summary = lines[-1] if lines else "no output"
        self.say(f"test suite, {title}: {sample.wall_s:.1f} s ({summary})")
        return TestRun(title, expression, sample, summary, parallel=bool(parallel))


def test_expressions(root: Path) -> tuple[str, str]:
    """(unit and snapshot part, the rest) as pytest -m expressions over the markers pyproject.toml defines.

    pytest --strict-markers rejects an unknown marker in -m, so only defined markers are named.
    """
    config = tomllib.loads((root / "pyproject.toml").read_text())
    markers = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("markers", [])
    defined = {str(m).split(":", 1)[0].strip() for m in markers}
    slow = [m for m in SLOW_MARKERS if m in defined]
    return " and ".join(f"not {m}" for m in slow), " or ".join(slow)


def runs_for(options: Options, n: int) -> int:
    return options.large_runs if n >= LARGE_N else options.runs


def schedule(options: Options) -> tuple[list[Case], list[list[Case]]]:
    """The warm-up runs, then the rounds: every round runs each case once, alternating them."""
    # One warm-up per set of modules a workload loads: the scaling workloads of ours and the alpha L2
    # load what (b) and (c) load; only the L1 one has a module of its own.
    warmups = [Case(w, 1, True) for w in APP_WORKLOADS] + [Case("l1-scale", options.sizes[0], False)]
    rounds = []
    for index in range(options.runs):
        cases = [Case(w, 1, v) for w in APP_WORKLOADS for v in (True, False)]
        for n in options.sizes:
            if index < runs_for(options, n):
                cases += [Case(f"{i}-scale", n, v) for i in IMPLEMENTATIONS for v in (True, False)]
        rounds.append(cases)
    return warmups, rounds


def run_synth_benchmarks(runner: Runner, options: Options) -> dict[Case, Outcome]:
    warmups, rounds = schedule(options)
    runner.say(f"warm-up: {len(warmups)} runs, discarded")
    warm_failures: dict[str, str] = {}
    for case in warmups:
        warm = Outcome(case)
        runner.measure(warm, what="warm-up")
        if warm.failure:
            warm_failures[case.workload] = warm.failure
    outcomes: dict[Case, Outcome] = {}
    for index, cases in enumerate(rounds, start=1):
        runner.say(f"round {index}/{len(rounds)}: {len(cases)} cases, alternating")
        for case in cases:
            outcome = outcomes.setdefault(case, Outcome(case, failure=warm_failures.get(case.workload)))
            if outcome.failure is None:
                total = runs_for(options, case.n) if case.workload.endswith("-scale") else options.runs
                # The first round's cloud assemblies at the smallest N are kept for bench.report to compare.
                keep = index == 1 and case.validation and case.n == options.sizes[0]
                runner.measure(outcome, what=f"run {len(outcome.samples) + 1}/{total}", keep=keep)
            else:
                runner.done += 1
    return outcomes


def largest_good_n(outcomes: dict[Case, Outcome], workload: str) -> int | None:
    good = [c.n for c, o in outcomes.items() if c.workload == workload and o.samples and o.failure is None]
    return max(good) if good else None


def run_diagnostics(runner: Runner, outcomes: dict[Case, Outcome], options: Options) -> Diagnostics:
    """Untimed runs that explain the timed ones: jsii request counts, cProfile, -X importtime."""
    diagnostics = Diagnostics()
    cases = [Case(w, 1, False) for w in APP_WORKLOADS]
    for impl in IMPLEMENTATIONS:
        top = largest_good_n(outcomes, f"{impl}-scale")
        cases += [Case(f"{impl}-scale", n, False) for n in sorted({options.sizes[0], top or options.sizes[0]})]
    for case in cases:
        sample, log = runner.synth(case, extra=["--count-jsii"])
        if sample.result is None:
            runner.say(f"jsii count {case.label}: FAILED ({last_error_line(log)})")
            continue
        diagnostics.jsii[case.slug] = sample.result
        runner.say(f"jsii count {case.label}: {sum(sample.result['jsii_requests'].values())} kernel requests")
    profiled = [Case("ours-envs", 1, False)]
    top = largest_good_n(outcomes, "ours-scale")
    if top is not None:
        profiled.append(Case("ours-scale", top, False))
    for case in profiled:
        path = runner.workdir / f"{case.slug}.pstats"
        sample, log = runner.synth(case, extra=[f"--profile={path}"])
        if sample.returncode == 0 and path.exists():
            diagnostics.profiles[case.slug] = path
        runner.say(f"cProfile {case.label}: {'done' if path.exists() else 'FAILED ' + last_error_line(log)}")
    for case in (Case("empty", 1, False), Case("ours-envs", 1, False)):
        sample, log = runner.synth(case, python_flags=["-X", "importtime"])
        diagnostics.import_times[case.workload] = parse_import_times(log)
        runner.say(f"-X importtime {case.label}: done")
    return diagnostics


def parse_import_times(log: Path) -> list[tuple[str, float, float]]:
    """(module, self s, cumulative s) for every line `python -X importtime` wrote."""
    rows = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
            rows.append((parts[2], int(parts[0]) / 1e6, int(parts[1]) / 1e6))
    return rows


def machine_info(env: dict[str, str], source: Source) -> dict[str, Any]:
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break

    def version_of(*command: str) -> str:
        done = subprocess.run(command, cwd=source.root, env=env, capture_output=True, text=True, check=False)
        return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else "unknown"

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gib": psutil.virtual_memory().total / 1024**3,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": version_of("node", "--version"),
        "cdk_cli": version_of(str(source.root / "node_modules" / ".bin" / "cdk"), "--version"),
        "packages": {
            name: importlib.metadata.version(name)
            for name in ("aws-cdk-lib", "aws-cdk.aws-sagemaker-alpha", "constructs", "jsii", "psutil", "matplotlib")
        },
        "pythondontwritebytecode": env.get("PYTHONDONTWRITEBYTECODE", ""),
        "loadavg_start": os.getloadavg(),
    }


def planned_runs(options: Options) -> int:
    warmups, rounds = schedule(options)
    diagnostics = len(APP_WORKLOADS) + 2 * len(IMPLEMENTATIONS) + 2 + 2
    return len(warmups) + sum(len(r) for r in rounds) + 2 + diagnostics + (2 if options.run_tests else 0)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.report import write_report  # matplotlib is only needed at the end

    options = parse_args(argv)
    if not (ROOT / "node_modules" / ".bin" / "cdk").exists():
        print("bench: node_modules/.bin/cdk is missing; run `make setup` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        source = prepare_source(options.rev, workdir)
        env = child_environment(source)
        machine = machine_info(env, source)
        runner = Runner(source=source, env=env, workdir=workdir, planned=planned_runs(options))
        runner.say(f"source: {source.label}")
        runner.say(
            f"{options.runs} timed runs per case ({options.large_runs} for N >= {LARGE_N}), N = "
            f"{', '.join(map(str, options.sizes))}; {runner.planned} processes in all"
        )
        outcomes = run_synth_benchmarks(runner, options)
        runner.say("cdk synth through the CLI, once per validation setting, for reference")
        cli_runs = [runner.cli(True), runner.cli(False)]
        diagnostics = run_diagnostics(runner, outcomes, options)
        tests: list[TestRun] = []
        if options.run_tests:
            unit, rest = test_expressions(source.root)
            tests.append(runner.pytest(UNIT_TIER_TITLE, unit))
            if rest:
                tests.append(runner.pytest(f"the rest ({rest.replace(' or ', ', ')})", rest))
        machine["loadavg_end"] = os.getloadavg()
        machine["duration_s"] = time.monotonic() - runner.started
        options.output_dir.mkdir(parents=True, exist_ok=True)
        written = write_report(
            output_dir=options.output_dir,
            options=options,
            source=source,
            machine=machine,
            outcomes=outcomes,
            cli_runs=cli_runs,
            diagnostics=diagnostics,
            tests=tests,
            kept=runner.kept,
        )
        runner.say("wrote " + ", ".join(str(p) for p in written))
    failed = [o for o in outcomes.values() if o.failure]
    return 1 if any(o.case.workload in APP_WORKLOADS for o in failed) else 0


if __name__ == "__main__":
    sys.exit(main())
