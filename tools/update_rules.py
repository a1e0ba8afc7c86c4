"""What SageMaker does when a template is deployed over another: the rules `make review` reports.

Pure functions over two CloudFormation templates (before, after); each rule cites the AWS page it
encodes, and docs/aws-contract.md lists them with their tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tools.assembly import endpoints, of_type, update_policy

CONTRACT = "docs/aws-contract.md"
SCALING_UPDATE_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html"
GUARDRAILS_EXCLUSIONS_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html"
# The documented way through an instance-type change of an autoscaled variant, as project steps.
AUTOSCALED_CHANGE_STEPS = (
    "deploy with autoscaling=None on that variant (CloudFormation deletes its scaling policy and "
    "deregisters the scalable target; raise initial_instance_count to the capacity you need meanwhile)",
    "deploy the new instance type (or accelerator mode)",
    "deploy with autoscaling restored",
)


@dataclass(frozen=True)
class Variant:
    endpoint: str  # logical id of the AWS::SageMaker::Endpoint
    name: str
    instance_type: str
    accelerator: str | None
    autoscaled: bool


@dataclass(frozen=True)
class Finding:
    endpoint: str
    severity: str  # "fails on AWS" or "note"
    text: str


def variants(template: Mapping[str, Any]) -> dict[tuple[str, str], Variant]:
    """Every production variant of every endpoint, keyed by (endpoint logical id, variant name),
    from the template facts synth summary and review share (tools/assembly.py)."""
    return {
        (e.logical_id, v.name): Variant(
            endpoint=e.logical_id,
            name=v.name,
            instance_type=v.instance_type,
            accelerator=v.accelerator,
            autoscaled=v.autoscaling != "off",
        )
        for e in endpoints(template)
        for v in e.variants
    }


def update_findings(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Finding]:
    """What deploying ``after`` over ``before`` does on AWS that the template diff does not say.

    SageMaker developer guide, "Update endpoints that use auto scaling" (SCALING_UPDATE_PAGE): "If the
    update would change the instance type for any model that is a target for auto scaling, the update
    fails", and the same for removing such a variant, unless the variant is deregistered first.
    Deregistration happens when CloudFormation deletes the scalable target, which it does only after
    the endpoint update succeeded, so both must be separate deployments.
    """
    old, new = variants(before), variants(after)
    findings = []
    for key, was in sorted(old.items()):
        if not was.autoscaled:
            continue
        now = new.get(key)
        if now is None and was.endpoint in {k[0] for k in new}:
            change = f"autoscaled variant {was.name} is removed"
        elif now is not None and now.instance_type != was.instance_type:
            change = f"autoscaled variant {was.name} changes instance type {was.instance_type} -> {now.instance_type}"
        else:
            continue
        steps = "; ".join(f"{n}) {s}" for n, s in enumerate(AUTOSCALED_CHANGE_STEPS, start=1))
        findings.append(
            Finding(
                endpoint=was.endpoint,
                severity="fails on AWS",
                text=f"{change}: SageMaker refuses UpdateEndpoint while the variant is registered for auto "
                f"scaling ({SCALING_UPDATE_PAGE}). Do it in three deployments: {steps}. See {CONTRACT}.",
            )
        )
    return findings


def update_behaviour(template: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(endpoint, aspect, what SageMaker does) for every endpoint of ``template`` on its next update."""
    all_variants = variants(template)
    for endpoint_id, endpoint in sorted(of_type(template, "AWS::SageMaker::Endpoint").items()):
        props = endpoint["Properties"]
        own = [v for v in all_variants.values() if v.endpoint == endpoint_id]
        yield endpoint_id, "traffic shifting", _guardrails(props.get("DeploymentConfig"), own)
        if props.get("RetainAllVariantProperties"):
            excluded = [p["VariantPropertyType"] for p in props.get("ExcludeRetainedVariantProperties", [])]
            kept = "instance counts set by auto scaling are kept"
            yield (
                endpoint_id,
                "variant properties",
                (f"{kept}; {', '.join(excluded)} from the template" if excluded else kept),
            )
        else:
            yield (
                endpoint_id,
                "variant properties",
                "instance counts and weights reset to the template's on every update",
            )


def _guardrails(deployment: Mapping[str, Any] | None, own: list[Variant]) -> str:
    fallback = "blue/green, all at once, no baking period"
    if deployment is None:
        return f"SageMaker's default: {fallback}"
    configured = update_policy(deployment)
    if any(v.accelerator for v in own):
        why = "Elastic Inference endpoints are excluded from deployment guardrails"
    elif inf1 := sorted({v.instance_type for v in own if v.instance_type.startswith("ml.inf1.")}):
        why = f"endpoints on Inf1 instances ({', '.join(inf1)}) are excluded from deployment guardrails"
    else:
        return f"{configured}, with its rollback alarms"
    return f"configured {configured}, but {why} ({GUARDRAILS_EXCLUSIONS_PAGE}): SageMaker does {fallback}"
