"""Each correction in tools/moto_patches.py: moto's own behaviour first, then the corrected one.

moto runs in-process here (`mock_aws`), so these take a second, not a deploy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.iam.models import ManagedPolicy
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from tools import moto_patches

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"


@pytest.fixture
def patched() -> Iterator[Callable[[Callable[[], moto_patches.Undo]], None]]:
    undos: list[moto_patches.Undo] = []
    yield lambda patch: undos.append(patch())
    for undo in reversed(undos):
        undo()


def invoke_binary() -> bytes:
    runtime = boto3.client("sagemaker-runtime", region_name="us-east-1")
    body: bytes = runtime.invoke_endpoint(EndpointName="any", Body=PNG, ContentType="image/png")["Body"].read()
    return body


@mock_aws
def test_binary_invoke_body_fails_in_moto_and_works_patched(patched: Callable[..., None]) -> None:
    with pytest.raises(UnicodeDecodeError):
        invoke_binary()
    patched(moto_patches.invoke_endpoint_binary_body)
    assert invoke_binary() == b"body"  # moto's canned answer: the request got through


def create_tagged_key_stack() -> str:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "a", "Value": "b"}],
                },
            }
        }
    }
    cloudformation.create_stack(StackName="keys", TemplateBody=json.dumps(template))
    (stack,) = cloudformation.describe_stacks(StackName="keys")["Stacks"]
    return str(stack["StackStatus"])


@mock_aws
def test_tagged_kms_key_fails_in_moto_and_is_created_patched(patched: Callable[..., None]) -> None:
    with pytest.raises(KeyError, match="TagKey"):
        create_tagged_key_stack()
    patched(moto_patches.kms_key_cloudformation_tags)
    boto3.client("cloudformation", region_name="us-east-1").delete_stack(StackName="keys")
    assert create_tagged_key_stack() == "CREATE_COMPLETE"
    (key,) = boto3.client("kms", region_name="us-east-1").list_keys()["Keys"][-1:]
    tags = boto3.client("kms", region_name="us-east-1").list_resource_tags(KeyId=key["KeyId"])["Tags"]
    assert {"TagKey": "a", "TagValue": "b"} in tags


def role_with_managed_policy_stack() -> None:
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            },
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                    },
                },
            },
        }
    }
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack(StackName="roles", TemplateBody=json.dumps(template))
    cloudformation.delete_stack(StackName="roles")


def test_stack_managed_policy_blocks_stack_delete_in_moto_and_is_deleted_patched(
    patched: Callable[..., None],
) -> None:
    with mock_aws(), pytest.raises(ClientError, match="must detach all policies first"):
        role_with_managed_policy_stack()
    patched(moto_patches.managed_policy_delete)
    with mock_aws():
        role_with_managed_policy_stack()
        assert boto3.client("iam").list_policies(Scope="Local")["Policies"] == []
        assert boto3.client("iam").list_roles()["Roles"] == []


def test_the_emulator_server_applies_every_patch() -> None:
    undo = moto_patches.apply_all()
    try:
        assert getattr(SageMakerRuntimeResponse, "use_raw_body", False) is True
        assert "delete" in ManagedPolicy.__dict__
    finally:
        undo()
    assert "delete" not in ManagedPolicy.__dict__
    assert SageMakerRuntimeResponse.use_raw_body is False
