"""Existing endpoints imported by name, ARN or both: what they grant, what their metrics read, what is refused."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_iam as iam

from sagemaker_ei_endpoint import EIEndpoint, EIEndpointPropsError
from tests.conftest import new_stack

ARN = "arn:aws:sagemaker:eu-west-1:210987654321:endpoint/fraud-scoring"


def granted_resource(stack: cdk.Stack, endpoint_import: object) -> object:
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoint_import.grant_invoke(role)  # type: ignore[attr-defined]
    (policy,) = assertions.Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Effect"]) == ("sagemaker:InvokeEndpoint", "Allow")
    return statement["Resource"]


def test_import_by_name_grants_that_endpoint_of_the_stacks_account_and_region() -> None:
    stack = new_stack()
    imported = EIEndpoint.from_endpoint_name(stack, "Scoring", "fraud-scoring")
    assert imported.endpoint_name == "fraud-scoring"
    resource = granted_resource(stack, imported)
    assert stack.resolve(resource) == "arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-scoring"


def test_import_by_arn_takes_the_name_from_the_arn_and_grants_only_that_arn() -> None:
    stack = new_stack()
    imported = EIEndpoint.from_endpoint_arn(stack, "Scoring", ARN, variant_names=["AllTraffic"])
    assert (imported.endpoint_name, imported.endpoint_arn) == ("fraud-scoring", ARN)
    assert granted_resource(stack, imported) == ARN


def test_metrics_of_an_import_in_another_account_and_region_are_read_there() -> None:
    stack = new_stack()
    imported = EIEndpoint.from_endpoint_arn(stack, "Scoring", ARN, variant_names=["AllTraffic"])
    metric = imported.metric_model_latency()
    assert stack.resolve(metric.dimensions) == {"EndpointName": "fraud-scoring", "VariantName": "AllTraffic"}
    assert (metric.account, metric.region) == ("210987654321", "eu-west-1")


def test_metrics_of_an_import_in_the_stacks_own_environment_set_no_account_or_region() -> None:
    stack = new_stack()
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-scoring"
    metric = EIEndpoint.from_endpoint_arn(stack, "Scoring", arn, variant_names=["A"]).metric_invocations()
    assert (metric.account, metric.region) == (None, None)


def test_import_of_a_deploy_time_arn_splits_the_name_off_in_cloudformation() -> None:
    stack = new_stack()
    arn = cdk.CfnParameter(stack, "EndpointArn").value_as_string
    imported = EIEndpoint.from_endpoint_arn(stack, "Scoring", arn, variant_names=["AllTraffic"])
    dimension = stack.resolve(imported.metric_invocations().dimensions)["EndpointName"]
    assert dimension == {
        "Fn::Select": [1, {"Fn::Split": ["/", {"Fn::Select": [5, {"Fn::Split": [":", {"Ref": "EndpointArn"}]}]}]}]
    }
    assert stack.resolve(granted_resource(stack, imported)) == {"Ref": "EndpointArn"}


def test_attributes_with_both_keep_the_given_name_for_the_metrics() -> None:
    stack = new_stack()
    imported = EIEndpoint.from_endpoint_attributes(
        stack, "Scoring", endpoint_name="Fraud-Scoring", endpoint_arn=ARN, variant_names=["Primary", "Canary"]
    )
    metric = imported.metric_invocation_5xx_errors(variant_name="Canary")
    assert stack.resolve(metric.dimensions) == {"EndpointName": "Fraud-Scoring", "VariantName": "Canary"}
    assert imported.variant_names == ("Primary", "Canary")


def test_import_without_variant_names_needs_a_variant_per_metric() -> None:
    stack = new_stack()
    imported = EIEndpoint.from_endpoint_name(stack, "Scoring", "fraud-scoring")
    assert stack.resolve(imported.metric_invocations(variant_name="Blue").dimensions)["VariantName"] == "Blue"
    with pytest.raises(ValueError, match=r"variant_name: required for an endpoint imported without variant_names"):
        imported.metric_invocations()
    with pytest.raises(ValueError, match=r"variant_name: must match"):
        imported.metric_invocations(variant_name="not valid")


def test_import_adds_nothing_to_the_template() -> None:
    stack = new_stack()
    EIEndpoint.from_endpoint_name(stack, "Scoring", "fraud-scoring")
    assert assertions.Template.from_stack(stack).to_json().get("Resources", {}) == {}


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        (
            "fraud-scoring",
            r"endpoint_arn: expected arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>, got 'fraud-scoring'",
        ),
        ("arn:aws:s3:::bucket/key", r"endpoint_arn: expected arn:.*got 'arn:aws:s3:::bucket/key'"),
        (
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/x",
            r"endpoint_arn: expected arn:.*endpoint-config/x'",
        ),
        ("arn:aws:sagemaker:us-east-1:12345:endpoint/x", r"endpoint_arn: expected arn:.*:12345:endpoint/x'"),
        ("arn:aws:sagemaker::123456789012:endpoint/x", r"endpoint_arn: expected arn:"),
        (
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint/bad_name",
            r"endpoint_arn: must match .*'bad_name' \(the endpoint name in the ARN\)",
        ),
    ],
)
def test_a_malformed_arn_is_refused_naming_it(arn: str, message: str) -> None:
    stack = new_stack()
    with pytest.raises(EIEndpointPropsError, match=message) as raised:
        EIEndpoint.from_endpoint_arn(stack, "Scoring", arn)
    assert len(raised.value.problems) == 1
    assert stack.node.try_find_child("Scoring") is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("fraud_scoring", r"endpoint_name: must match .*got 'fraud_scoring'"),
        ("-fraud", r"endpoint_name: must match .*got '-fraud'"),
        ("x" * 64, r"endpoint_name: at most 63 characters, got 64"),
    ],
)
def test_a_name_sagemaker_would_refuse_is_refused(name: str, message: str) -> None:
    with pytest.raises(EIEndpointPropsError, match=message):
        EIEndpoint.from_endpoint_name(new_stack(), "Scoring", name)


def test_bad_variant_names_and_a_missing_endpoint_are_all_reported() -> None:
    with pytest.raises(EIEndpointPropsError) as raised:
        EIEndpoint.from_endpoint_attributes(new_stack(), "Scoring", variant_names=["A", "A", "b c"])
    assert raised.value.problems == (
        "variant_names[2]: must match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (letters, digits and hyphens), got 'b c'",
        "variant_names: duplicate names ['A']",
        "endpoint_name, endpoint_arn: give the endpoint's name, its ARN or both",
    )
