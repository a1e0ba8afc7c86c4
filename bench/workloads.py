"""One measured process: build one app, synthesize it, write what it saw as JSON.

    python -m bench.workloads WORKLOAD --n N --validation on|off --outdir DIR --result FILE
        [--count-jsii] [--profile FILE]

The harness times the whole process from outside; the phases recorded here (imports, building the
construct tree, app.synth()) only explain where that time goes. --count-jsii counts the requests
Python sends to the jsii kernel (Node.js) and the time spent waiting for their answers; it wraps
every request, so it is only used in separate diagnostic runs, never in timed ones.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import importlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Workload:
    """An app to synthesize: `module.function(app, n)` builds it."""

    name: str
    title: str
    module: str
    function: str
    scales: bool = False


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("empty", "empty app (one empty Stack)", "bench.app_empty", "build"),
        Workload("ours-envs", "this app: dev, staging, prod (EIEndpoint)", "bench.app_ours", "build_environments"),
        Workload("alpha-envs", "dev, staging, prod with the alpha L2", "bench.app_alpha", "build_environments"),
        Workload("ours-scale", "EIEndpoint", "bench.app_ours", "build_scale", scales=True),
        Workload(
            "alpha-default-scale",
            "aws-sagemaker-alpha L2, its default role",
            "bench.app_alpha",
            "build_scale_default_role",
            scales=True,
        ),
        Workload(
            "alpha-scale", "aws-sagemaker-alpha L2, a role we bring", "bench.app_alpha", "build_scale", scales=True
        ),
        Workload("l1-scale", "plain L1 (Cfn*)", "bench.app_l1", "build_scale", scales=True),
    )
}


class JsiiCounter:
    """Counts jsii kernel requests by kind, by target and by the Python function that caused them."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.targets: collections.Counter[str] = collections.Counter()
        self.origins: collections.Counter[str] = collections.Counter()
        self.wait_s = 0.0

    def install(self) -> None:
        # Imported here: only diagnostic runs count.
        from jsii._kernel.providers import process

        original = process._NodeProcess.send
        counter = self

        def send(self: Any, request: Any, response_type: Any) -> Any:
            counter.record(request)
            start = time.perf_counter()
            try:
                return original(self, request, response_type)
            finally:
                counter.wait_s += time.perf_counter() - start

        process._NodeProcess.send = send  # type: ignore[method-assign]

    def record(self, request: Any) -> None:
        kind = type(request).__name__.removesuffix("Request").lstrip("_").lower()
        self.counts[kind] += 1
        objref = getattr(request, "objref", None)
        owner = getattr(request, "fqn", None) or (objref.ref.split("@")[0] if objref is not None else "")
        member = getattr(request, "method", None) or getattr(request, "property", None)
        self.targets[f"{kind} {owner.removeprefix('aws-cdk-lib.')}{'.' + member if member else ''}"] += 1
        self.origins[self.origin()] += 1

    @staticmethod
    def origin() -> str:
        """The innermost project or workload function on the Python stack."""
        frame = sys._getframe(3)
        while frame is not None:
            path = frame.f_code.co_filename
            for marker in ("/sagemaker_ei_endpoint/", "/stacks/", "/bench/app_"):
                if marker in path:
                    return f"{path[path.rindex(marker) + 1 :]}:{frame.f_code.co_name}"
            frame = frame.f_back  # type: ignore[assignment]
        return "(no project frame: imports, app.synth)"


def template_stats(outdir: Path) -> dict[str, int]:
    templates = sorted(outdir.glob("*.template.json"))
    resources = sum(len(json.loads(t.read_text()).get("Resources", {})) for t in templates)
    return {
        "templates": len(templates),
        "template_bytes": sum(t.stat().st_size for t in templates),
        "resources": resources,
    }


def run(workload: Workload, *, n: int, validation: bool, outdir: Path, counter: JsiiCounter | None) -> dict[str, Any]:
    started = time.perf_counter()
    import aws_cdk as cdk  # timed: starts Node.js and loads aws-cdk-lib

    from bench.common import cdk_json_context

    build: Callable[[cdk.App, int], None] = getattr(importlib.import_module(workload.module), workload.function)
    imported = time.perf_counter()
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir), builtin_cloud_formation_validation=validation)
    build(app, n)
    built = time.perf_counter()
    app.synth()
    synthesized = time.perf_counter()
    result: dict[str, Any] = {
        "workload": workload.name,
        "n": n,
        "validation": validation,
        "import_s": imported - started,
        "build_s": built - imported,
        "synth_s": synthesized - built,
        **template_stats(outdir),
    }
    if counter is not None:
        result["jsii_requests"] = dict(counter.counts)
        result["jsii_targets"] = dict(counter.targets.most_common(60))
        result["jsii_origins"] = dict(counter.origins.most_common(60))
        result["jsii_wait_s"] = counter.wait_s
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workloads", description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--n", type=int, default=1, help="endpoints in the scaling stack")
    parser.add_argument("--validation", choices=("on", "off"), required=True)
    parser.add_argument("--outdir", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--count-jsii", action="store_true")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the whole run here")
    args = parser.parse_args(argv)

    counter = JsiiCounter() if args.count_jsii else None
    if counter is not None:
        counter.install()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    result = run(
        WORKLOADS[args.workload], n=args.n, validation=args.validation == "on", outdir=args.outdir, counter=counter
    )
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    args.result.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
