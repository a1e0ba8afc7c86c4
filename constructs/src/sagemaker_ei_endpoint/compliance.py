"""Every acknowledgment of a cdk-nag, CloudFormation-validation or checkov finding, in one place.

Each one names exactly one finding on exactly one construct, with the reason a reviewer needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .binding import WildcardGrant
from .tokens import is_known

PACKS = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")
CFN_VALIDATE_ACCELERATOR = "CloudFormation-Validate::F3002"
UNSCOPED_ACTIONS_REASON = (
    "ecr:GetAuthorizationToken, cloudwatch:PutMetricData (limited by a namespace condition), "
    "ec2:DescribeVpcEndpoints of Elastic Inference and the EC2 network-interface actions of a VPC model "
    "take no resource ARN"
)
REPLICATION_RULES = tuple(f"{pack}::{pack}-S3BucketReplicationEnabled" for pack in PACKS)
REPLICATION_REASON = (
    "captured traffic is a sample kept for monitoring, not a system of record; cross-region replication "
    "is an organisation-wide disaster-recovery choice, add it with your own bucket"
)
ACCESS_LOG_RULES = ("AwsSolutions::AwsSolutions-S1", *(f"{pack}::{pack}-S3BucketLoggingEnabled" for pack in PACKS))
ACCESS_LOG_REASON = (
    "the only writer is this endpoint's execution role, whose calls CloudTrail records; pass "
    "DataCapture(access_logs_bucket=...) to add S3 server access logs"
)
ISOLATION_REASON = (
    "network isolation off: AWS documents no Elastic Inference setup with it, and lists the managed "
    "TensorFlow and PyTorch containers as not supporting it"
)


def acknowledge(construct: IConstruct, rules: Iterable[str], reason: str) -> None:
    cdk.Validations.of(construct).acknowledge(*(cdk.Acknowledgment(id=rule, reason=reason) for rule in rules))


def skip_checkov(resource: cdk.CfnResource, check_id: str, reason: str) -> None:
    """checkov reads its skips from the resource's template metadata."""
    resource.add_metadata("checkov", {"skip": [{"id": check_id, "comment": reason}]})


def acknowledge_execution_policy(
    policy: iam.ManagedPolicy, stack: cdk.Stack, wildcards: Iterable[WildcardGrant]
) -> None:
    """AwsSolutions-IAM5 for the unscoped actions, and for each wildcard resource by its exact ARN."""
    rules = {"AwsSolutions::AwsSolutions-IAM5[Resource::*]": UNSCOPED_ACTIONS_REASON}
    for grant in wildcards:
        rules[f"AwsSolutions::AwsSolutions-IAM5[Resource::{_nag_name(stack, grant.resource)}]"] = grant.reason
    cdk.Validations.of(policy).acknowledge(*(cdk.Acknowledgment(id=i, reason=r) for i, r in rules.items()))


def _nag_name(stack: cdk.Stack, resource: str) -> str:
    """``resource`` as cdk-nag prints it in finding ids.

    A plain string already is; a tokenized one is resolved once per stack (the endpoints of a stack
    share their wildcard ARNs, and each resolve is a round trip to Node.js).
    """
    if is_known(resource):
        return resource
    names: dict[str, str] = stack.__dict__.setdefault("_sagemaker_ei_endpoint_nag_names", {})
    if resource not in names:
        names[resource] = _nag_form(stack.resolve(resource))
    return names[resource]


def acknowledge_accelerator_type(endpoint_config: IConstruct, warning_id: str) -> None:
    """CDK's own template check flags AcceleratorType; the EI-retired warning already says it."""
    acknowledge(
        endpoint_config,
        [CFN_VALIDATE_ACCELERATOR],
        f"AcceleratorType is emitted on purpose; the EI retirement is reported by {warning_id}",
    )


def acknowledge_instance_storage(scope: IConstruct, instance_types: Iterable[str]) -> None:
    reason = (
        "SageMaker refuses a KmsKeyId for instances with local NVMe storage "
        f"({', '.join(sorted(set(instance_types)))}); those volumes are encrypted by a hardware module on the instance"
    )
    acknowledge(scope, [f"{pack}::{pack}-SageMakerEndpointConfigurationKMSKeyConfigured" for pack in PACKS], reason)


def acknowledge_capture_bucket(bucket: IConstruct, *, access_logs: bool) -> None:
    acknowledge(bucket, REPLICATION_RULES, REPLICATION_REASON)
    if not access_logs:
        acknowledge(bucket, ACCESS_LOG_RULES, ACCESS_LOG_REASON)
        resource = bucket.node.default_child
        assert isinstance(resource, cdk.CfnResource)
        skip_checkov(resource, "CKV_AWS_18", ACCESS_LOG_REASON)


def _nag_form(value: Any) -> str:
    """A resolved resource string the way cdk-nag prints it in finding ids (``<Logical.Attr>``)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_form(p) for p in parts)
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    raise ValueError(f"cannot name {value!r} as cdk-nag does")
