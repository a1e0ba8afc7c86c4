"""`make review`: a Markdown report per environment, for pull-request review without reading JSON.

Each report (review/<env>.md) has what the environment deploys (endpoint, variants, accelerators or
successor mapping, scaling, guardrails, security posture), a Mermaid diagram drawn from the template's
own references, and what changes against a baseline: by default the committed snapshots, or the
templates of another git ref (BASE=<ref>). The change list comes from `cdk diff`; the one thing it
cannot show, a resource updated because a resource it references is replaced, is added from the
template's references and CloudFormation's registry schema (which properties are create-only).

Usage: python -m tools.review [--base REF] [--mode MODE] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tools.assembly import SynthesizedStack, of_type, read_stacks, readable
from tools.synth_summary import SUCCESSOR_METADATA, endpoint_label
from tools.update_rules import CONTRACT, update_behaviour, update_findings

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "__snapshots__" / "test_snapshots"
SNAPSHOT_NAME = "test_environment_template_matches_snapshot[{env}].json"
DIAGRAM_TYPES = {
    "AWS::SageMaker::Model": "Model",
    "AWS::SageMaker::EndpointConfig": "EndpointConfig",
    "AWS::SageMaker::Endpoint": "Endpoint",
    "AWS::IAM::Role": "Role",
    "AWS::IAM::ManagedPolicy": "ManagedPolicy",
    "AWS::KMS::Key": "KMS key",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::CloudWatch::Alarm": "Alarm",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::ApplicationAutoScaling::ScalableTarget": "Scaling target",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "Scaling policy",
}


@dataclass
class Change:
    kind: str  # added, removed, modified, replaced
    resource_type: str
    logical_id: str
    replacing_properties: list[str] = field(default_factory=list)
    note: str = ""


# ---- reading templates -------------------------------------------------------------------------


def references(value: Any) -> Iterator[str]:
    """Logical ids that ``value`` points at through Ref or Fn::GetAtt."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


@cache
def create_only_properties(resource_type: str) -> frozenset[str]:
    """CloudFormation's create-only properties of ``resource_type``, from cfn-lint's registry schemas."""
    schemas = resources.files("cfnlint") / "data" / "schemas"
    name = json.loads((schemas / "providers" / "us-east-1.json").read_text()).get(resource_type)
    if name is None:
        return frozenset()
    schema = json.loads((schemas / "resources" / f"{name}.json").read_text())
    return frozenset(p.removeprefix("/properties/") for p in schema.get("createOnlyProperties", []))


# ---- what the environment deploys --------------------------------------------------------------


def posture(template: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(endpoint, aspect, value) rows for the security and operations table."""
    rows = []
    configs = of_type(template, "AWS::SageMaker::EndpointConfig")
    models = of_type(template, "AWS::SageMaker::Model")
    endpoints = of_type(template, "AWS::SageMaker::Endpoint")
    for config_id, config in configs.items():
        props = config["Properties"]
        mode = "successor" if SUCCESSOR_METADATA in config.get("Metadata", {}) else "elastic-inference"
        label = endpoint_label(template, config_id)
        rows.append((label, "accelerator mode", mode))
        encryption = "KMS key" if "KmsKeyId" in props else "none (instance storage or off)"
        rows.append((label, "storage encryption", encryption))
        capture = props.get("DataCaptureConfig")
        rows.append(
            (
                label,
                "data capture",
                f"{capture['InitialSamplingPercentage']} % to {readable(capture['DestinationS3Uri'])}"
                if capture
                else "off",
            )
        )
    for model_id, model in models.items():
        props = model["Properties"]
        isolation = "on" if props.get("EnableNetworkIsolation") else "off"
        rows.append((endpoint_label(template, model_id), "network isolation", isolation))
        rows.append((endpoint_label(template, model_id), "VPC", "yes" if "VpcConfig" in props else "no"))
    for endpoint_id, endpoint in endpoints.items():
        deployment = endpoint["Properties"].get("DeploymentConfig")
        guardrails = describe_guardrails(deployment) if deployment else "none"
        rows.append((endpoint_label(template, endpoint_id), "deployment guardrails", guardrails))
    for bucket_id, bucket in of_type(template, "AWS::S3::Bucket").items():
        on_delete = bucket.get("DeletionPolicy", "Delete")
        rows.append((endpoint_label(template, bucket_id), f"bucket {bucket_id} on delete", on_delete))
    policies = of_type(template, "AWS::IAM::ManagedPolicy")
    inline = of_type(template, "AWS::IAM::Policy")
    rows.append(("(stack)", "execution role policy", f"{len(policies)} customer-managed, {len(inline)} inline"))
    rows.append(("(stack)", "alarm topic", "yes" if of_type(template, "AWS::SNS::Topic") else "none"))
    return rows


# Who may do what, from the template's own policies: trust policies of roles, key policies, and the
# resource policies of buckets and topics.
ACCESS_POLICIES = {
    "AWS::IAM::Role": "AssumeRolePolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def access_rows(template: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """(resource, statement, effect, principal, actions, condition) of every trust, key, bucket and topic policy."""
    rows: list[tuple[str, ...]] = []
    for logical_id, resource in sorted(template.get("Resources", {}).items()):
        document_key = ACCESS_POLICIES.get(resource["Type"])
        if document_key is None:
            continue
        for statement in _as_list(resource["Properties"][document_key]["Statement"]):
            principal = statement.get("Principal", "*")
            principals = (
                ["*"]
                if principal == "*"
                else [f"{kind}: {readable(p)}" for kind, value in sorted(principal.items()) for p in _as_list(value)]
            )
            actions = _as_list(statement["Action"])
            shown = (
                ", ".join(actions) if len(actions) <= 5 else f"{len(actions)} actions: {', '.join(actions[:3])}, ..."
            )
            conditions = [
                f"{operator} {key} = {', '.join(readable(v) for v in _as_list(values))}"
                for operator, pairs in sorted(statement.get("Condition", {}).items())
                for key, values in sorted(pairs.items())
            ]
            rows.append(
                (
                    logical_id,
                    statement.get("Sid", "-"),
                    statement["Effect"],
                    "; ".join(principals),
                    shown,
                    "; ".join(conditions) or "none",
                )
            )
    return rows


def describe_guardrails(deployment: Mapping[str, Any]) -> str:
    alarms = len(deployment.get("AutoRollbackConfiguration", {}).get("Alarms", []))
    if "RollingUpdatePolicy" in deployment:
        size = deployment["RollingUpdatePolicy"]["MaximumBatchSize"]["Value"]
        return f"rolling, {size} % batches, {alarms} rollback alarms"
    routing = deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    step = routing.get("CanarySize") or routing.get("LinearStepSize")
    size = f" {step['Value']} %" if step else ""
    wait = routing.get("WaitIntervalInSeconds", 0)
    return f"blue/green {routing['Type']}{size}, wait {wait} s, {alarms} rollback alarms"


def variant_table(template: Mapping[str, Any]) -> list[tuple[str, ...]]:
    scaling = {}
    policies = of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    for target_id, target in of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget").items():
        variant = json.dumps(target["Properties"]["ResourceId"]).split("/variant/")[-1].strip('"]}')
        policy = next((p for p in policies.values() if p["Properties"]["ScalingTargetId"] == {"Ref": target_id}), None)
        goal = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] if policy else "?"
        props = target["Properties"]
        scaling[endpoint_label(template, target_id), variant] = (
            f"{props['MinCapacity']}-{props['MaxCapacity']}, {goal} invocations/instance"
        )
    rows: list[tuple[str, ...]] = []
    for config_id, config in of_type(template, "AWS::SageMaker::EndpointConfig").items():
        label = endpoint_label(template, config_id)
        moves = {
            m["variant"]: m["from"] for m in config.get("Metadata", {}).get(SUCCESSOR_METADATA, {}).get("variants", [])
        }
        for v in config["Properties"]["ProductionVariants"]:
            accelerator = v.get("AcceleratorType") or (
                f"none (successor of {moves[v['VariantName']]})" if v["VariantName"] in moves else "none"
            )
            rows.append(
                (
                    label,
                    v["VariantName"],
                    v["InstanceType"],
                    str(v["InitialInstanceCount"]),
                    str(v["InitialVariantWeight"]),
                    accelerator,
                    scaling.get((label, v["VariantName"]), "off"),
                )
            )
    return rows


def mermaid(template: Mapping[str, Any]) -> str:
    """Model -> EndpointConfig -> Endpoint and what supports them, from the template's references."""
    shown = {k: r for k, r in template.get("Resources", {}).items() if r["Type"] in DIAGRAM_TYPES}
    lines = ["graph LR"]
    for logical_id, resource in shown.items():
        lines.append(f'  {_node(logical_id)}["{DIAGRAM_TYPES[resource["Type"]]}<br/>{logical_id}"]')
    edges = sorted(
        {
            (target, source)
            for source, r in shown.items()
            for target in references(r.get("Properties", {}))
            if target in shown and target != source
        }
    )
    lines += [f"  {_node(a)} --> {_node(b)}" for a, b in edges]
    return "\n".join(lines)


def _node(logical_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", logical_id)


# ---- changes against the baseline --------------------------------------------------------------


def cdk_diff(stack_name: str, baseline: Path, assembly: Path) -> str:
    command = [
        str(ROOT / "node_modules" / ".bin" / "cdk"),
        "diff",
        stack_name,
        "--app",
        str(assembly),
        "--template",
        str(baseline),
        "--no-path-metadata",
        "--no-notices",
    ]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=os.environ | {"PATH": path, "CDK_DISABLE_CLI_TELEMETRY": "true"},
    )
    return result.stdout + result.stderr


KINDS = {"+": "added", "-": "removed", "~": "modified"}


def parse_diff(text: str) -> list[Change]:
    changes: list[Change] = []
    for line in text.splitlines():
        match = re.match(r"^\[([+\-~])\] (AWS::\S+|Custom::\S+) (.*)$", line)
        if match:
            words = match.group(3).split()
            kind = KINDS[match.group(1)]
            if words[-1] == "replace":
                kind, words = "replaced", words[:-1]
            elif words[-1] in ("destroy", "orphan"):
                words = words[:-1]
            elif words[-3:] == ["may", "be", "replaced"]:
                kind, words = "may be replaced", words[:-3]
            changes.append(Change(kind=kind, resource_type=match.group(2), logical_id=words[-1]))
            continue
        prop = re.match(r"^\s+[└├]─ \[.\] (\S+) \((requires|may cause) replacement\)", line)
        if prop and changes:
            changes[-1].replacing_properties.append(prop.group(1))
    return changes


def with_dependents(changes: list[Change], template: Mapping[str, Any]) -> list[Change]:
    """Add the resources `cdk diff` cannot show: unchanged in text, but pointing at a replaced resource."""
    replaced = {c.logical_id for c in changes if c.kind == "replaced"}
    listed = {c.logical_id for c in changes}
    for logical_id, resource in template.get("Resources", {}).items():
        if logical_id in listed:
            continue
        props = resource.get("Properties", {})
        following = [name for name, value in props.items() if set(references(value)) & replaced]
        if not following:
            continue
        forced = [p for p in following if p in create_only_properties(resource["Type"])]
        targets = ", ".join(sorted(set(references({p: props[p] for p in following})) & replaced))
        changes.append(
            Change(
                kind="replaced" if forced else "modified",
                resource_type=resource["Type"],
                logical_id=logical_id,
                replacing_properties=forced,
                note=f"{', '.join(following)} follows the replaced {targets}"
                + ("" if forced else "; updated in place"),
            )
        )
    return changes


# ---- the report ---------------------------------------------------------------------------------


def report(
    env: str,
    stack: SynthesizedStack,
    changes: Sequence[Change],
    diff_text: str,
    base: str,
    baseline: Mapping[str, Any] | None = None,
) -> str:
    template = stack.template
    where = f"{stack.account or 'CLI account'} / {stack.region or 'CLI region'}"
    parts = [
        f"# {stack.name} ({env})",
        "",
        f"Deploys to {where}. Baseline: {base}.",
        "",
        "## Endpoint variants",
        "",
        _markdown_table(
            ("endpoint", "variant", "instance type", "count", "weight", "accelerator", "autoscaling"),
            variant_table(template),
        ),
        "",
        "## Security and operations",
        "",
        _markdown_table(("endpoint", "aspect", "value"), posture(template)),
        "",
        "## Who may assume, administer and use what",
        "",
        _markdown_table(
            ("resource", "statement", "effect", "principal", "actions", "condition"), access_rows(template)
        ),
        "",
        "## Resources",
        "",
        "```mermaid",
        mermaid(template),
        "```",
        "",
        "## What AWS does on update",
        "",
        "SageMaker's documented behaviour, not the template's wording; each rule and its AWS source: "
        f"[{CONTRACT}](../{CONTRACT}).",
        "",
        *update_section(template, baseline or {"Resources": {}}),
        "",
        "## Changes against the baseline",
        "",
    ]
    if changes:
        rows = [
            (c.kind, c.resource_type, c.logical_id, ", ".join(c.replacing_properties) or "-", c.note or "-")
            for c in changes
        ]
        parts.append(_markdown_table(("change", "type", "logical id", "forces replacement", "note"), rows))
    else:
        parts.append("No changes.")
    parts += ["", "<details><summary>cdk diff</summary>", "", "```", diff_text.strip(), "```", "", "</details>", ""]
    return "\n".join(parts)


def update_section(template: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[str]:
    rows = [(endpoint, aspect, text) for endpoint, aspect, text in update_behaviour(template)]
    rows += [(f.endpoint, f"**{f.severity}**", f.text) for f in update_findings(baseline, template)]
    return [_markdown_table(("endpoint", "aspect", "what SageMaker does"), rows)]


def _markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---- synthesis ------------------------------------------------------------------------------------


SYNTH_SCRIPT = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/constructs/src"]
import aws_cdk as cdk
from stacks.app_builder import build_app
context = json.loads(open(sys.argv[1] + "/cdk.json").read())["context"] | json.loads(sys.argv[3])
app = cdk.App(context=context, outdir=sys.argv[2], stack_traces=False)
build_app(app, {})
app.synth()
"""


def synthesize(source: Path, outdir: Path, context: Mapping[str, str]) -> list[SynthesizedStack]:
    """Synthesize the app of ``source`` (this tree or a git worktree) as the tests do: no CLI defaults."""
    subprocess.run(
        [sys.executable, "-c", SYNTH_SCRIPT, str(source), str(outdir), json.dumps(dict(context))],
        cwd=source,
        check=True,
        env=os.environ | {"PYTHONPATH": ""},
    )
    return read_stacks(outdir)


def baselines(base: str | None, workdir: Path, context: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    if base is None:
        prefix, suffix = SNAPSHOT_NAME.split("{env}")
        return {
            path.name.removeprefix(prefix).removesuffix(suffix): json.loads(path.read_text())
            for path in SNAPSHOTS.iterdir()
            if path.name.startswith(prefix) and path.name.endswith(suffix)
        }
    tree = workdir / "base"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), base], cwd=ROOT, check=True)
    try:
        stacks = synthesize(tree, workdir / "base.out", context)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    return {s.name.removeprefix("SageMakerEI-"): s.template for s in stacks}


def review(*, base: str | None, out: Path, context: Mapping[str, str]) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print("==> synthesizing the current templates", flush=True)
        current = synthesize(ROOT, workdir / "current.out", context)
        print(f"==> reading the baseline ({base or 'committed snapshots'})", flush=True)
        baseline = baselines(base, workdir, context)
        out.mkdir(parents=True, exist_ok=True)
        for stack in current:
            env = stack.name.removeprefix("SageMakerEI-")
            before = workdir / f"{env}.baseline.json"
            before.write_text(json.dumps(baseline.get(env, {"Resources": {}})))
            print(f"==> cdk diff {stack.name}", flush=True)
            diff_text = cdk_diff(stack.name, before, workdir / "current.out")
            changes = with_dependents(parse_diff(diff_text), stack.template)
            path = out / f"{env}.md"
            text = report(env, stack, changes, diff_text, base or "committed snapshots", baseline.get(env))
            path.write_text(text)
            failing = [
                f for f in update_findings(baseline.get(env, {}), stack.template) if f.severity == "fails on AWS"
            ]
            for finding in failing:
                print(f"    {stack.name}: fails on AWS: {finding.text}", flush=True)
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.review", description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="git ref to compare with (default: the committed snapshots)")
    parser.add_argument("--mode", choices=("elastic-inference", "successor"))
    parser.add_argument("--out", type=Path, default=ROOT / "review")
    args = parser.parse_args(argv)
    context = {"accelerator_mode": args.mode} if args.mode else {}
    paths = review(base=args.base, out=args.out, context=context)
    print("\nreview reports:")
    for path in paths:
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
