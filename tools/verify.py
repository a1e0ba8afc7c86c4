"""What landed, compared with the synthesized templates through the services' own APIs.

Every endpoint is found by its stack and logical id (never by variant name across a stack, which
two endpoints may share), and must serve the endpoint config its stack holds now, with that
config's variants, instance types and accelerators.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from tools.assembly import SynthesizedStack
from tools.landed_properties import COMPARISONS, Landed, Unresolved, name_of
from tools.synth_summary import endpoint_label

ENDPOINT = "AWS::SageMaker::Endpoint"
NOT_EMULATED = "not emulated"
SessionFor = Callable[[SynthesizedStack], Any]


@dataclass(frozen=True)
class VariantCheck:
    """One variant of one endpoint: what landed, and what is wrong with it ("" when nothing)."""

    stack: str
    endpoint: str  # the EIEndpoint's construct id
    endpoint_name: str
    status: str
    variant: str
    instance_type: str
    accelerator: str
    problem: str = ""
    # False when the emulator cannot hold what the template asks for (moto drops shadow variants):
    # the row then says "not emulated", never "yes".
    emulated: bool = True

    @property
    def ok(self) -> bool:
        return not self.problem


def referenced_id(value: Any) -> str | None:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        if "Ref" in value:
            return str(value["Ref"])
    return None


def variant_signature(variant: Mapping[str, Any]) -> str:
    return f"{variant.get('InstanceType', '-')} {variant.get('AcceleratorType', 'none')}"


def physical_ids(cloudformation: Any, stack_name: str) -> dict[str, str]:
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    found = {
        r.get("LogicalResourceId", ""): r.get("PhysicalResourceId", "")
        for p in pages
        for r in p["StackResourceSummaries"]
    }
    found.pop("", None)
    return found


def check_endpoint(
    stack: SynthesizedStack, logical_id: str, physical: Mapping[str, str], sagemaker: Any, *, emulator: bool = False
) -> list[VariantCheck]:
    resources: dict[str, Any] = stack.template["Resources"]
    resource = resources[logical_id]
    label = endpoint_label(stack.template, logical_id, logical_id)
    config_id = referenced_id(resource["Properties"]["EndpointConfigName"]) or ""
    config_properties = resources.get(config_id, {}).get("Properties", {})
    expected = {v["VariantName"]: v for v in config_properties["ProductionVariants"]}
    expected_shadows = {v["VariantName"]: v for v in config_properties.get("ShadowProductionVariants", [])}

    def row(
        name: str, status: str, variant: str, landed: Mapping[str, Any] | None, problem: str, *, emulated: bool = True
    ) -> VariantCheck:
        return VariantCheck(
            stack=stack.name,
            endpoint=label,
            endpoint_name=name,
            status=status,
            variant=variant,
            instance_type=landed.get("InstanceType", "-") if landed else "-",
            accelerator=landed.get("AcceleratorType", "none") if landed else "-",
            problem=problem,
            emulated=emulated,
        )

    if logical_id not in physical:
        return [row("-", "-", v, None, "not in the deployed stack") for v in expected]
    name = name_of(physical[logical_id])
    try:
        described = sagemaker.describe_endpoint(EndpointName=name)
    except ClientError as error:
        return [row(name, "missing", v, None, f"describe_endpoint: {error}") for v in expected]
    status = described["EndpointStatus"]
    serving = described["EndpointConfigName"]
    stack_config = name_of(physical.get(config_id, ""))
    try:
        landed_config = sagemaker.describe_endpoint_config(EndpointConfigName=serving)
    except ClientError:
        return [row(name, status, v, None, f"serves endpoint config {serving}, which does not exist") for v in expected]
    landed = landed_config["ProductionVariants"]
    checks = []
    for variant in landed:
        want = expected.get(variant["VariantName"])
        problem = ""
        if serving != stack_config:
            problem = f"serves endpoint config {serving}, the stack's is {stack_config}"
        elif status != "InService":
            problem = f"status {status}"
        elif want is None:
            problem = "variant not in the template"
        elif variant_signature(variant) != variant_signature(want):
            problem = f"expected {variant_signature(want)}"
        checks.append(row(name, status, variant["VariantName"], variant, problem))
    for missing in sorted(set(expected) - {v["VariantName"] for v in landed}):
        checks.append(row(name, status, missing, None, "variant did not land"))
    landed_shadows = {v["VariantName"]: v for v in landed_config.get("ShadowProductionVariants", [])}
    for shadow_name, want in expected_shadows.items():
        shadow = landed_shadows.get(shadow_name)
        label_of_shadow = f"{shadow_name} (shadow)"
        if shadow is None and emulator:
            # moto 5.2.5 neither stores nor describes ShadowProductionVariants (docs/emulator.md).
            checks.append(row(name, status, label_of_shadow, None, "", emulated=False))
        elif shadow is None:
            checks.append(row(name, status, label_of_shadow, None, "shadow variant did not land"))
        else:
            differs = variant_signature(shadow) != variant_signature(want)
            checks.append(
                row(name, status, label_of_shadow, shadow, f"expected {variant_signature(want)}" if differs else "")
            )
    return checks


def verify_endpoints(
    stacks: Sequence[SynthesizedStack], session_for: SessionFor, *, emulator: bool = False
) -> list[VariantCheck]:
    """One row per variant (production and shadow) of every endpoint of every stack."""
    checks = []
    for stack in stacks:
        session = session_for(stack)
        physical = physical_ids(session.client("cloudformation"), stack.name)
        sagemaker = session.client("sagemaker")
        for logical_id, resource in stack.template["Resources"].items():
            if resource["Type"] == ENDPOINT:
                checks += check_endpoint(stack, logical_id, physical, sagemaker, emulator=emulator)
    return checks


def endpoint_rows(checks: Sequence[VariantCheck]) -> list[tuple[str, ...]]:
    return [
        (
            c.stack,
            c.endpoint,
            c.endpoint_name,
            c.status,
            c.variant,
            c.instance_type,
            c.accelerator,
            f"NO: {c.problem}" if not c.ok else "yes" if c.emulated else NOT_EMULATED,
        )
        for c in checks
    ]


ENDPOINT_COLUMNS = ("stack", "endpoint", "name", "status", "variant", "instance type", "accelerator", "as synthesized")


# ---- every resource of every stack ------------------------------------------------------------------

Probe = Callable[[Any, str], str]  # (session, physical id) -> "" when it is there, else what is wrong


def _sagemaker_endpoint(session: Any, physical: str) -> str:
    status = session.client("sagemaker").describe_endpoint(EndpointName=name_of(physical))["EndpointStatus"]
    return "" if status == "InService" else f"status {status}"


def _described(service: str, method: str, parameter: str, value: Callable[[str], Any] = str) -> Probe:
    """A probe that calls ``service.method(parameter=value(physical id))``; a ClientError means it is not there."""

    def probe(session: Any, physical: str) -> str:
        getattr(session.client(service), method)(**{parameter: value(physical)})
        return ""

    return probe


def _key(session: Any, physical: str) -> str:
    # list, not DescribeKey: moto can answer DescribeKey of a stack-created key with HTTP 500
    return "" if physical in {k["KeyId"] for k in session.client("kms").list_keys()["Keys"]} else "no such key"


def _dashboard(session: Any, physical: str) -> str:
    # Ref of a dashboard is its name; the body must be there, with its widgets.
    body = session.client("cloudwatch").get_dashboard(DashboardName=physical)["DashboardBody"]
    return "" if json.loads(body).get("widgets") else "a dashboard without widgets"


PROBES: Mapping[str, Probe] = {
    "AWS::SageMaker::Model": _described("sagemaker", "describe_model", "ModelName", name_of),
    "AWS::SageMaker::EndpointConfig": _described(
        "sagemaker", "describe_endpoint_config", "EndpointConfigName", name_of
    ),
    "AWS::SageMaker::Endpoint": _sagemaker_endpoint,
    "AWS::IAM::Role": _described("iam", "get_role", "RoleName", lambda p: p.split("/")[-1]),
    "AWS::IAM::ManagedPolicy": _described("iam", "get_policy", "PolicyArn"),
    "AWS::KMS::Key": _key,
    "AWS::S3::Bucket": _described("s3", "head_bucket", "Bucket"),
    "AWS::SNS::Topic": _described("sns", "get_topic_attributes", "TopicArn"),
    "AWS::CloudWatch::Dashboard": _dashboard,
}


@dataclass(frozen=True)
class ResourceCheck:
    stack: str
    endpoint: str
    logical_id: str
    resource_type: str
    result: str  # "yes", NOT_EMULATED, "not checked", or "NO: <what is wrong>"

    @property
    def ok(self) -> bool:
        return not self.result.startswith("NO")


@cache
def emulated_types() -> frozenset[str]:
    """The resource types moto's CloudFormation creates; it skips the others and still reports success."""
    # only for the emulator: moto is heavy to import
    from moto.cloudformation.parsing import get_model_map

    from tools.moto_patches import ADDED_TYPES

    return frozenset(get_model_map()) | ADDED_TYPES


def check_resource(session: Any, resource_type: str, physical: str | None, *, emulator: bool) -> str:
    """Whether the resource exists: through its service's API where PROBES knows how."""
    if not physical:
        if emulator and resource_type not in emulated_types():
            return NOT_EMULATED
        return "NO: not in the deployed stack"
    probe = PROBES.get(resource_type)
    if probe is None:
        return "not checked"
    try:
        problem = probe(session, physical)
    except ClientError as error:
        problem = f"{error.response.get('Error', {}).get('Code', 'error')} for {physical}"
    return f"NO: {problem}" if problem else "yes"


def compare_resource(landed: Landed, resource: Mapping[str, Any]) -> str:
    """Whether the resource's properties landed as synthesized (tools/landed_properties.py)."""
    try:
        problem = COMPARISONS[resource["Type"]](landed, resource.get("Properties", {}))
    except ClientError as error:
        problem = f"{error.response.get('Error', {}).get('Code', 'error')} for {landed.physical}"
    except Unresolved as unresolved:
        return f"not checked (the template names {unresolved})"
    return f"NO: {problem}" if problem else "yes"


def verify_resources(
    stacks: Sequence[SynthesizedStack], session_for: SessionFor, *, emulator: bool
) -> list[ResourceCheck]:
    """One row per resource of every synthesized template: did it land, seen through its service's API,
    and, for the types tools/landed_properties.py compares, with the template's properties."""
    checks = []
    for stack in stacks:
        session = session_for(stack)
        physical = physical_ids(session.client("cloudformation"), stack.name)
        for logical_id, resource in stack.template["Resources"].items():
            if resource["Type"] == "AWS::CDK::Metadata":
                continue
            if physical.get(logical_id) and resource["Type"] in COMPARISONS:
                landed = Landed(session, physical[logical_id], stack.template["Resources"], physical)
                result = compare_resource(landed, resource)
            else:
                result = check_resource(session, resource["Type"], physical.get(logical_id), emulator=emulator)
            label = endpoint_label(stack.template, logical_id, "(stack)")
            label = label if f"{label}EndpointName" in stack.template.get("Outputs", {}) else "(stack)"
            checks.append(ResourceCheck(stack.name, label, logical_id, resource["Type"], result))
    return checks


RESOURCE_COLUMNS = ("stack", "endpoint", "logical id", "type", "landed")


def resource_rows(checks: Sequence[ResourceCheck]) -> list[tuple[str, ...]]:
    return [(c.stack, c.endpoint, c.logical_id, c.resource_type, c.result) for c in checks]
