"""BENCHMARKS.md, synth_scaling.png and results.json from one run of bench.run.

Split by concern: verdicts (figures and targets), comparison (what each implementation
synthesizes), profiles (where time goes), plot, sections (the Markdown), format (helpers).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from bench.cases import Case, Outcome
from bench.records import CliRun, Diagnostics, Options, Source, TestRun
from bench.report.comparison import comparison_section
from bench.report.plot import plot
from bench.report.profiles import diagnostics_section
from bench.report.sections import (
    app_lines,
    findings_lines,
    header_lines,
    method_lines,
    scaling_lines,
    targets_lines,
    test_lines,
    validation_lines,
)
from bench.report.verdicts import Results, evaluate_targets


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
    targets = evaluate_targets(results, tests)
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
