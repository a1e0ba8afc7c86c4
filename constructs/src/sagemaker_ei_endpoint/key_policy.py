"""The key an EIEndpoint creates: administration kept apart from use.

CDK's default key policy gives the account root ``kms:*``, so any principal of the account with
``kms:Decrypt`` in an IAM policy could decrypt the captured data directly. This policy keeps the
account's IAM administrators in charge of the key (policy, rotation, aliases, tags, deletion,
grants) without letting that statement encrypt or decrypt anything, and allows cryptographic use
only through the two services the key exists for: SageMaker (the storage volume, data capture)
and S3 (the capture bucket), in the key's own region. IAM still decides which principals may do
so: the execution role's policy names the key.

Sources (AWS Key Management Service developer guide):
- "Default key policy", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html:
  the key administrators statement (the administrative actions below, which include no cryptographic
  operation) and the statement that lets key users use the key with AWS services, with
  ``kms:GrantIsForAWSResource``.
- "kms:ViaService", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service:
  limits use of a KMS key to requests from specified AWS services, with ``<service>.<region>.amazonaws.com``
  values; SageMaker and S3 are in its list of services that support it.
- SageMaker API reference, ``CreateEndpointConfig.KmsKeyId``: "The KMS key policy must grant permission
  to the IAM role that you specify in your CreateEndpoint, UpdateEndpoint requests"; SageMaker
  creates grants on the key for the instances' storage volumes on that caller's behalf.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .tokens import region_of, stack_of

# Every action the account's administrators keep, each named: no kms:Encrypt, kms:Decrypt,
# kms:ReEncrypt*, kms:GenerateDataKey* or kms:CreateGrant (a grant is a way to use the key).
ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
SERVICES = ("sagemaker", "s3")


def via_services(scope: Construct, *services: str) -> list[str]:
    """``kms:ViaService`` values of ``services`` in the region of ``scope``'s stack."""
    region = region_of(stack_of(scope))
    return [f"{service}.{region}.amazonaws.com" for service in services]


def administered_key_policy(
    scope: Construct, *, use_via: Sequence[str], sid: str, extra: Sequence[iam.PolicyStatement] = ()
) -> iam.PolicyDocument:
    """Administration by the account's IAM administrators; cryptographic use only through ``use_via``
    services in the key's region; and ``extra`` statements (service principals, each conditioned)."""
    account = iam.AccountRootPrincipal()
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="KeyAdministration", principals=[account], actions=list(ADMIN_ACTIONS), resources=["*"]
            ),
            iam.PolicyStatement(
                sid=sid,
                principals=[account],
                actions=list(USE_ACTIONS),
                resources=["*"],
                conditions={"StringEquals": {"kms:ViaService": via_services(scope, *use_via)}},
            ),
            *extra,
        ]
    )


def endpoint_key_policy(scope: Construct) -> iam.PolicyDocument:
    account = iam.AccountRootPrincipal()
    return administered_key_policy(
        scope,
        use_via=SERVICES,
        sid="UseThroughSageMakerAndS3",
        extra=[
            iam.PolicyStatement(
                sid="GrantsForSageMakerVolumes",
                principals=[account],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                    "StringEquals": {"kms:ViaService": via_services(scope, "sagemaker")},
                },
            ),
        ],
    )


STACK_KEY_ID = "EIEndpointKey"


def stack_endpoint_key(stack: cdk.Stack) -> kms.Key:
    """The storage and capture key the EIEndpoints of ``stack`` share, created with the first.

    One key per stack rather than per endpoint: the endpoints of a stack are one environment in one
    account, with the same administrators; each endpoint's execution role still names the key in its
    own policy, and this key policy admits use only through SageMaker and S3. It keeps an endpoint to
    five resources (CloudFormation allows 500 per stack), and one key costs one monthly key fee.
    """
    key: kms.Key | None = getattr(stack, "_sagemaker_ei_endpoint_key", None)
    if key is None:
        key = kms.Key(
            stack,
            STACK_KEY_ID,
            enable_key_rotation=True,
            description="SageMaker endpoints' storage and captured data (shared by the stack's EIEndpoints)",
            policy=endpoint_key_policy(stack),
        )
        stack._sagemaker_ei_endpoint_key = key  # type: ignore[attr-defined]
    return key
