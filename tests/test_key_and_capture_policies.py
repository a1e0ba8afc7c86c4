"""The endpoint key's policy (administration apart from use) and the capture bucket's lifecycle and policy."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from sagemaker_ei_endpoint import DataCapture, EIEndpointPropsError
from sagemaker_ei_endpoint.key_policy import ADMIN_ACTIONS
from tests.conftest import EndpointFactory, new_stack

CRYPTO_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:CreateGrant", "kms:*")


def resources(stack: cdk.Stack, type_name: str) -> dict[str, Any]:
    return dict(assertions.Template.from_stack(stack).find_resources(type_name))


def key_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    ((_, key),) = resources(stack, "AWS::KMS::Key").items()
    statements: list[dict[str, Any]] = key["Properties"]["KeyPolicy"]["Statement"]
    return statements


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def test_key_administration_statement_allows_no_cryptographic_use(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(data_capture=DataCapture())
    (admin,) = [s for s in key_statements(stack) if s.get("Sid") == "KeyAdministration"]
    assert actions(admin) == sorted(ADMIN_ACTIONS)
    assert "Condition" not in admin
    assert not [a for a in actions(admin) if a.startswith(CRYPTO_ACTIONS) or "*" in a]


def test_key_is_used_only_through_sagemaker_and_s3_in_its_region(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(data_capture=DataCapture())
    use = [s for s in key_statements(stack) if any(a.startswith(CRYPTO_ACTIONS) for a in actions(s))]
    assert [s["Sid"] for s in use] == ["UseThroughSageMakerAndS3", "GrantsForSageMakerVolumes"]
    assert use[0]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["sagemaker.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]}
    }
    assert use[1]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {"kms:ViaService": ["sagemaker.us-east-1.amazonaws.com"]},
    }
    # Every statement names this account only: the key trusts no other account.
    for statement in key_statements(stack):
        assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}


def test_key_of_an_environment_agnostic_stack_names_its_region_at_deploy_time(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(region=None)
    (use,) = [s for s in key_statements(stack) if s.get("Sid") == "UseThroughSageMakerAndS3"]
    assert json.dumps(use["Condition"]).count('{"Ref": "AWS::Region"}') == 2


@pytest.mark.parametrize(("env", "days"), [("staging", 30), ("prod", 365)])
def test_environment_capture_buckets_expire_their_data(
    environment_templates: dict[str, assertions.Template], env: str, days: int
) -> None:
    (bucket,) = environment_templates[env].find_resources("AWS::S3::Bucket").values()
    assert bucket["Properties"]["LifecycleConfiguration"] == {
        "Rules": [
            {
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                "ExpirationInDays": days,
                "Id": "ExpireCapturedData",
                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                "Status": "Enabled",
            }
        ]
    }


def test_capture_data_expires_after_a_year_by_default(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(data_capture=DataCapture())
    (bucket,) = resources(stack, "AWS::S3::Bucket").values()
    assert bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365


@pytest.mark.parametrize(
    ("expiration", "shown"), [(cdk.Duration.days(0), "'0 days'"), (cdk.Duration.hours(36), "'1 day 12 hours'")]
)
def test_capture_expiration_must_be_whole_days(expiration: cdk.Duration, shown: str) -> None:
    assert DataCapture(expiration=expiration).problems() == [
        f"data_capture.expiration: expected a whole number of days of at least 1, got {shown}"
    ]


def test_bad_capture_expiration_is_refused_by_the_endpoint(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    with pytest.raises(EIEndpointPropsError, match=r"data_capture\.expiration: .* got '0 days'"):
        make_endpoint(stack=stack, data_capture=DataCapture(expiration=cdk.Duration.days(0)))
    assert stack.node.children == []


@pytest.mark.parametrize(
    ("policy", "kept"), [(cdk.RemovalPolicy.RETAIN, "Retain"), (cdk.RemovalPolicy.DESTROY, "Delete")]
)
def test_tls_only_bucket_policy_is_kept_or_removed_with_its_bucket(
    make_endpoint: EndpointFactory, policy: cdk.RemovalPolicy, kept: str
) -> None:
    stack, _ = make_endpoint(data_capture=DataCapture(removal_policy=policy))
    (bucket,) = resources(stack, "AWS::S3::Bucket").values()
    (bucket_policy,) = resources(stack, "AWS::S3::BucketPolicy").values()
    assert bucket["DeletionPolicy"] == bucket_policy["DeletionPolicy"] == kept
    assert bucket_policy["UpdateReplacePolicy"] == kept
