"""Reading a synthesized cloud assembly (cdk.out) without loading the CDK itself."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNKNOWN = ("unknown-account", "unknown-region")


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    account: str | None
    region: str | None
    template: dict[str, Any]


def of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    """The resources of ``template`` of one type, by logical id."""
    return {k: r for k, r in template.get("Resources", {}).items() if r.get("Type") == resource_type}


def readable(value: Any) -> str:
    """A template value with its Ref/GetAtt/Join written out, e.g. s3://<CaptureBucket>/data-capture."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(readable(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return json.dumps(value)


def read_stacks(cdk_out: Path) -> list[SynthesizedStack]:
    """Every CloudFormation stack of the assembly, in the app's construction order."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    stacks = []
    for artifact in manifest["artifacts"].values():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        properties = artifact["properties"]
        account, region = artifact["environment"].removeprefix("aws://").split("/")
        stacks.append(
            SynthesizedStack(
                name=properties.get("stackName", artifact.get("displayName")),
                account=None if account in UNKNOWN else account,
                region=None if region in UNKNOWN else region,
                template=json.loads((cdk_out / properties["templateFile"]).read_text()),
            )
        )
    return stacks


# ---- template facts: what the environment deploys, read once for synth summary and review ----------

# sagemaker_ei_endpoint.SUCCESSOR_METADATA; not imported, because importing the construct library
# starts jsii and Node.js, which reading JSON does not need (a test keeps the two equal).
SUCCESSOR_METADATA = "sagemaker-ei-endpoint:successor"
ENDPOINT = "AWS::SageMaker::Endpoint"
_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")
_SCALED_VARIANT = re.compile(r"^endpoint/<(?P<endpoint>[^.>]+)\.EndpointName>/variant/(?P<variant>.+)$")


@dataclass(frozen=True)
class VariantFacts:
    name: str
    instance_type: str
    instance_count: object
    weight: object
    accelerator: str | None
    successor_of: str  # the Elastic Inference instance type this variant replaces, or ""
    autoscaling: str  # "off" or "<min>-<max>, <target> invocations/instance"


@dataclass(frozen=True)
class ShadowFacts:
    name: str
    instance_type: str
    instance_count: object
    model: str  # logical id of the model it runs


@dataclass(frozen=True)
class EndpointFacts:
    label: str  # the construct id, e.g. ImageClassifier: the prefix of all its resources' logical ids
    logical_id: str
    config_id: str
    mode: str  # "elastic-inference" or "successor"
    image_change: str  # "<EI image> -> <successor image>" in successor mode, else ""
    variants: tuple[VariantFacts, ...]
    shadow_variants: tuple[ShadowFacts, ...] = ()


def construct_id(logical_id: str) -> str:
    """The construct id an endpoint's logical id is made of: ImageClassifierC17D310E -> ImageClassifier."""
    return _HASH_SUFFIX.sub("", logical_id) or logical_id


def _ref_id(value: Any) -> str:
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return ""


def _scaling(template: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(endpoint logical id, variant name) -> autoscaling range and target, for every scalable target."""
    policies = of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    found = {}
    for target_id, target in of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget").items():
        props = target["Properties"]
        match = _SCALED_VARIANT.match(readable(props.get("ResourceId")))
        if not match:
            continue
        ref = {"Ref": target_id}
        policy = next((p for p in policies.values() if p["Properties"].get("ScalingTargetId") == ref), None)
        tracking = (policy or {}).get("Properties", {}).get("TargetTrackingScalingPolicyConfiguration", {})
        goal = tracking.get("TargetValue", "?")
        found[(match["endpoint"], match["variant"])] = (
            f"{props['MinCapacity']}-{props['MaxCapacity']}, {goal} invocations/instance"
        )
    return found


def endpoints(template: Mapping[str, Any]) -> list[EndpointFacts]:
    """Every SageMaker endpoint of ``template`` with its config's variants, in template order."""
    resources: dict[str, Any] = template.get("Resources", {})
    scaling = _scaling(template)
    found = []
    for logical_id, resource in of_type(template, ENDPOINT).items():
        config_id = _ref_id(resource.get("Properties", {}).get("EndpointConfigName"))
        config = resources.get(config_id, {})
        successor = config.get("Metadata", {}).get(SUCCESSOR_METADATA)
        moves = {m["variant"]: m["from"] for m in successor.get("variants", [])} if successor else {}
        image = successor.get("image") if successor else None
        found.append(
            EndpointFacts(
                label=construct_id(logical_id),
                logical_id=logical_id,
                config_id=config_id,
                mode="successor" if successor else "elastic-inference",
                image_change=f"{image['from']} -> {image['to']}" if image else "",
                variants=tuple(
                    VariantFacts(
                        name=v["VariantName"],
                        instance_type=readable(v.get("InstanceType", "-")),
                        instance_count=v.get("InitialInstanceCount", "-"),
                        weight=v.get("InitialVariantWeight", "-"),
                        accelerator=v.get("AcceleratorType"),
                        successor_of=moves.get(v["VariantName"], ""),
                        autoscaling=scaling.get((logical_id, v["VariantName"]), "off"),
                    )
                    for v in config.get("Properties", {}).get("ProductionVariants", [])
                ),
                shadow_variants=tuple(
                    ShadowFacts(
                        name=v["VariantName"],
                        instance_type=readable(v.get("InstanceType", "-")),
                        instance_count=v.get("InitialInstanceCount", "-"),
                        model=_ref_id(v.get("ModelName")),
                    )
                    for v in config.get("Properties", {}).get("ShadowProductionVariants", [])
                ),
            )
        )
    return found


def endpoint_label(logical_id: str, labels: Iterable[str]) -> str:
    """The endpoint a resource belongs to: the longest endpoint construct id its logical id starts with."""
    owners = [label for label in labels if logical_id.startswith(label)]
    return max(owners, key=len) if owners else ""


def update_policy(deployment: Mapping[str, Any]) -> str:
    """An endpoint's DeploymentConfig in a few words: "rolling, 25 % batches" or "blue/green CANARY 10 %"."""
    if "RollingUpdatePolicy" in deployment:
        return f"rolling, {deployment['RollingUpdatePolicy']['MaximumBatchSize']['Value']} % batches"
    routing = deployment["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    step = routing.get("CanarySize") or routing.get("LinearStepSize")
    return f"blue/green {routing['Type']}" + (f" {step['Value']} %" if step else "")
