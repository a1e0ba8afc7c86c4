"""Verification finds each endpoint by stack and logical id, so two endpoints may share variant names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.test_moto_patches import ALARM, POLICIES, autoscaled_endpoint_template
from tools import moto_patches
from tools.assembly import SynthesizedStack
from tools.verify import endpoint_rows, verify_endpoints, verify_resources


def endpoint_resources(construct_id: str, instance_type: str) -> dict[str, Any]:
    path = {"aws:cdk:path": f"Stack/{construct_id}/Resource"}
    return {
        f"{construct_id}Config": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Metadata": {"aws:cdk:path": f"Stack/{construct_id}/EndpointConfig"},
            "Properties": {"ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": instance_type}]},
        },
        f"{construct_id}Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Metadata": path,
            "Properties": {"EndpointConfigName": {"Fn::GetAtt": [f"{construct_id}Config", "EndpointConfigName"]}},
        },
    }


STACK = SynthesizedStack(
    name="Stack",
    account=None,
    region="us-east-1",
    template={
        "Resources": endpoint_resources("Classifier", "ml.m5.large") | endpoint_resources("Detector", "ml.c5.xlarge")
    },
)


class FakeAws:
    """Two endpoints that landed as synthesized, unless a test changes ``configs`` or ``serving``."""

    def __init__(self) -> None:
        self.configs = {"cfg-c": "ml.m5.large", "cfg-d": "ml.c5.xlarge"}
        self.serving = {"ep-c": "cfg-c", "ep-d": "cfg-d"}

    def client(self, _service: str) -> FakeAws:
        return self

    def get_paginator(self, _operation: str) -> FakeAws:
        return self

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        physical = {"ClassifierConfig": "cfg-c", "ClassifierEndpoint": "ep-c", "DetectorConfig": "cfg-d"}
        physical["DetectorEndpoint"] = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep-d"
        summaries = [{"LogicalResourceId": k, "PhysicalResourceId": v} for k, v in physical.items()]
        return [{"StackResourceSummaries": summaries}]

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:
        return {"EndpointStatus": "InService", "EndpointConfigName": self.serving[EndpointName]}

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict[str, Any]:
        if EndpointConfigName not in self.configs:
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "not found"}}, "Describe")
        return {"ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": self.configs[EndpointConfigName]}]}


def test_two_endpoints_with_the_same_variant_name_are_each_checked_against_their_own_config() -> None:
    checks = verify_endpoints([STACK], lambda _: FakeAws())
    assert [(c.endpoint, c.endpoint_name, c.variant, c.instance_type, c.ok) for c in checks] == [
        ("Classifier", "ep-c", "AllTraffic", "ml.m5.large", True),
        ("Detector", "ep-d", "AllTraffic", "ml.c5.xlarge", True),
    ]


def test_an_endpoint_on_another_instance_type_is_reported() -> None:
    aws = FakeAws()
    aws.configs["cfg-d"] = "ml.m5.large"
    (classifier, detector) = verify_endpoints([STACK], lambda _: aws)
    assert classifier.ok
    assert detector.problem == "expected ml.c5.xlarge none"


def test_an_endpoint_serving_a_deleted_config_is_reported() -> None:
    aws = FakeAws()
    aws.serving["ep-c"] = "cfg-old"
    (classifier, _) = verify_endpoints([STACK], lambda _: aws)
    assert classifier.problem == "serves endpoint config cfg-old, which does not exist"


def test_an_endpoint_serving_another_config_than_its_stack_holds_is_reported() -> None:
    aws = FakeAws()
    aws.configs["cfg-old"] = "ml.m5.large"
    aws.serving["ep-c"] = "cfg-old"
    (classifier, _) = verify_endpoints([STACK], lambda _: aws)
    assert classifier.problem == "serves endpoint config cfg-old, the stack's is cfg-c"


class FakeStackAws:
    """A stack in which only the model landed (as moto leaves a scalable target out)."""

    def client(self, _service: str) -> FakeStackAws:
        return self

    def get_paginator(self, _operation: str) -> FakeStackAws:
        return self

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return [{"StackResourceSummaries": [{"LogicalResourceId": "Model", "PhysicalResourceId": "arn:x:model/m-1"}]}]

    def describe_model(self, ModelName: str) -> dict[str, Any]:
        if ModelName != "m-1":
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "not found"}}, "DescribeModel")
        return {"ModelName": ModelName}


def resource_stack(*types: tuple[str, str]) -> SynthesizedStack:
    return SynthesizedStack(
        name="Stack", account=None, region="us-east-1", template={"Resources": {k: {"Type": t} for k, t in types}}
    )


def test_what_moto_cannot_hold_is_not_emulated_never_yes() -> None:
    stack = resource_stack(
        ("Model", "AWS::SageMaker::Model"),
        ("Component", "AWS::SageMaker::InferenceComponent"),  # moto has no CloudFormation model for it
        ("Target", "AWS::ApplicationAutoScaling::ScalableTarget"),  # one tools/moto_patches.py adds
        ("Lost", "AWS::SageMaker::Model"),
    )
    on_emulator = {c.logical_id: c.result for c in verify_resources([stack], lambda _: FakeStackAws(), emulator=True)}
    assert on_emulator == {
        "Model": "yes",
        "Component": "not emulated",
        "Target": "NO: not in the deployed stack",
        "Lost": "NO: not in the deployed stack",
    }
    on_aws = {c.logical_id: c.result for c in verify_resources([stack], lambda _: FakeStackAws(), emulator=False)}
    assert on_aws["Component"] == "NO: not in the deployed stack"


# ---- properties read back through the services' APIs, on moto with this project's patches ----------------

# an autoscaled endpoint, a topic and a bucket with policies, and an alarm, as tests/test_moto_patches.py deploys them
LANDED_TEMPLATE: dict[str, Any] = {
    "Resources": json.loads(autoscaled_endpoint_template("ml.m5.large"))["Resources"]
    | POLICIES["Resources"]
    | ALARM["Resources"]
}


@pytest.fixture
def landed_stack() -> Iterator[tuple[SynthesizedStack, Any]]:
    undo = moto_patches.apply_all()
    try:
        with mock_aws():
            session = boto3.session.Session(region_name="us-east-1")
            session.client("cloudformation").create_stack(StackName="Stack", TemplateBody=json.dumps(LANDED_TEMPLATE))
            yield SynthesizedStack(name="Stack", account=None, region="us-east-1", template=LANDED_TEMPLATE), session
    finally:
        undo()


def test_every_resource_of_a_stack_landed_with_its_properties(landed_stack: tuple[SynthesizedStack, Any]) -> None:
    stack, session = landed_stack
    results = {c.logical_id: c.result for c in verify_resources([stack], lambda _: session, emulator=True)}
    assert results == dict.fromkeys(LANDED_TEMPLATE["Resources"], "yes")


def test_properties_that_differ_from_the_template_are_reported(landed_stack: tuple[SynthesizedStack, Any]) -> None:
    stack, session = landed_stack
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in session.client("cloudformation").list_stack_resources(StackName="Stack")["StackResourceSummaries"]
    }
    scaling = session.client("application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=target["ResourceId"],
        ScalableDimension=target["ScalableDimension"],
        MaxCapacity=6,
    )
    allow = json.dumps({"Statement": [{"Sid": "Open", "Effect": "Allow", "Action": "sns:Publish"}]})
    session.client("sns").set_topic_attributes(TopicArn=physical["Topic"], AttributeName="Policy", AttributeValue=allow)
    session.client("s3").delete_bucket_policy(Bucket=physical["Bucket"])
    cloudwatch = session.client("cloudwatch")
    (alarm,) = cloudwatch.describe_alarms()["MetricAlarms"]
    cloudwatch.put_metric_alarm(
        **{
            k: alarm[k]
            for k in (
                "AlarmName",
                "MetricName",
                "Namespace",
                "ComparisonOperator",
                "EvaluationPeriods",
                "Period",
                "Statistic",
            )
        },
        Threshold=5.0,
    )
    results = {c.logical_id: c.result for c in verify_resources([stack], lambda _: session, emulator=True)}
    assert results["Target"] == "NO: MaxCapacity 6, template 4"
    assert results["TopicPolicy"] == (
        f"NO: {physical['Topic']}: statements [('Open', 'Allow', ('sns:Publish',))], "
        "template [('TlsOnly', 'Deny', ('sns:Publish',))]"
    )
    assert results["BucketPolicy"].startswith("NO: NoSuchBucketPolicy")
    assert results["Alarm"] == "NO: Threshold 5.0, template 1.0"
    assert results["Policy"] == "yes"


@mock_aws
def test_a_dashboard_is_verified_through_get_dashboard() -> None:
    # moto's CloudFormation creates AWS::CloudWatch::Dashboard itself; Ref (the physical id) is its name.
    body = {"Fn::Join": ["", ['{"widgets":[{"type":"text","x":0,"y":0,"width":24,"height":1,"properties":', "{}}]}"]]}
    template = {"Resources": {"Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": body}}}}
    stack = SynthesizedStack(name="Stack", account=None, region="us-east-1", template=template)
    session = boto3.Session(region_name="us-east-1")
    session.client("cloudformation").create_stack(StackName="Stack", TemplateBody=json.dumps(template))

    def landed() -> str:
        (check,) = verify_resources([stack], lambda _: session, emulator=True)
        return check.result

    assert landed() == "yes"
    (name,) = [d["DashboardName"] for d in session.client("cloudwatch").list_dashboards()["DashboardEntries"]]
    session.client("cloudwatch").put_dashboard(DashboardName=name, DashboardBody='{"widgets":[]}')
    assert landed() == "NO: a dashboard without widgets"
    session.client("cloudwatch").delete_dashboards(DashboardNames=[name])
    assert landed().startswith("NO: ResourceNotFound")


SHADOW_STACK = SynthesizedStack(
    name="Stack",
    account=None,
    region="us-east-1",
    template={
        "Resources": endpoint_resources("Classifier", "ml.m5.large")
        | {
            "ClassifierConfig": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Metadata": {"aws:cdk:path": "Stack/Classifier/EndpointConfig"},
                "Properties": {
                    "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.m5.large"}],
                    "ShadowProductionVariants": [{"VariantName": "Shadow", "InstanceType": "ml.c5.xlarge"}],
                },
            }
        }
    },
)


class ShadowAws(FakeAws):
    """The classifier's config as SageMaker describes it, with ``shadows`` (moto describes none)."""

    def __init__(self, shadows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.shadows = shadows

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict[str, Any]:
        return super().describe_endpoint_config(EndpointConfigName) | {"ShadowProductionVariants": self.shadows}


def shadow_row(checks: list[Any]) -> tuple[str, ...]:
    (row,) = [r for r in endpoint_rows(checks) if r[4] == "Shadow (shadow)"]
    return row


def test_a_shadow_variant_the_emulator_drops_is_reported_not_emulated_never_yes() -> None:
    checks = verify_endpoints([SHADOW_STACK], lambda _: ShadowAws([]), emulator=True)
    assert all(c.ok for c in checks)
    assert shadow_row(checks)[-1] == "not emulated"


def test_a_shadow_variant_missing_on_aws_is_a_failure() -> None:
    checks = verify_endpoints([SHADOW_STACK], lambda _: ShadowAws([]))
    assert shadow_row(checks)[-1] == "NO: shadow variant did not land"


def test_a_shadow_variant_that_landed_is_compared_with_the_template() -> None:
    landed = [{"VariantName": "Shadow", "InstanceType": "ml.c5.xlarge"}]
    assert shadow_row(verify_endpoints([SHADOW_STACK], lambda _: ShadowAws(landed)))[-1] == "yes"
    landed = [{"VariantName": "Shadow", "InstanceType": "ml.m5.large"}]
    assert shadow_row(verify_endpoints([SHADOW_STACK], lambda _: ShadowAws(landed)))[-1] == (
        "NO: expected ml.c5.xlarge none"
    )
