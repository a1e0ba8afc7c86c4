"""Each correction in tools/moto_patches.py: moto's own behaviour first, then the corrected one.

moto runs in-process here (`mock_aws`), so these take a second, not a deploy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
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
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack(StackName="roles", TemplateBody=policy_stack("s3:GetObject"))
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


def policy_stack(statement_action: str) -> str:
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
                        "Statement": [{"Effect": "Allow", "Action": statement_action, "Resource": "*"}],
                    },
                },
            },
        }
    }
    return json.dumps(template)


def update_policy_then_delete_stack() -> list[str]:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    cloudformation.create_stack(StackName="policy", TemplateBody=policy_stack("s3:GetObject"))
    cloudformation.update_stack(StackName="policy", TemplateBody=policy_stack("s3:PutObject"))
    (policy,) = iam.list_policies(Scope="Local")["Policies"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    actions = [s["Action"] for s in version["PolicyVersion"]["Document"]["Statement"]]
    cloudformation.delete_stack(StackName="policy")
    return actions


def test_an_updated_managed_policy_is_lost_in_moto_and_updated_in_place_patched(
    patched: Callable[..., None],
) -> None:
    patched(moto_patches.managed_policy_delete)
    # moto: the update stores no resource for the policy; it keeps its old document and is never deleted,
    # so deleting the stack fails on the role
    with mock_aws(), pytest.raises(ClientError, match="must detach all policies first"):
        assert update_policy_then_delete_stack() == ["s3:GetObject"]
    patched(moto_patches.managed_policy_update)
    with mock_aws():
        assert update_policy_then_delete_stack() == ["s3:PutObject"]
        assert boto3.client("iam").list_policies(Scope="Local")["Policies"] == []
        assert boto3.client("iam").list_roles()["Roles"] == []


def test_the_emulator_server_applies_every_patch() -> None:
    undo = moto_patches.apply_all()
    try:
        assert getattr(SageMakerRuntimeResponse, "use_raw_body", False) is True
        assert "delete" in ManagedPolicy.__dict__
        assert "update_from_cloudformation_json" in ManagedPolicy.__dict__
    finally:
        undo()
    assert "delete" not in ManagedPolicy.__dict__
    assert "update_from_cloudformation_json" not in ManagedPolicy.__dict__
    assert SageMakerRuntimeResponse.use_raw_body is False


def cloudformation() -> Any:
    return boto3.client("cloudformation", region_name="us-east-1")


def test_missing_change_set_is_not_found_and_its_delete_succeeds(patched: Callable[..., None]) -> None:
    with mock_aws():
        cloudformation().create_stack(StackName="s", TemplateBody=json.dumps({"Resources": QUEUE["Resources"]}))
        with pytest.raises(ClientError, match="Stack with id cdk-deploy-change-set does not exist"):
            cloudformation().describe_change_set(StackName="s", ChangeSetName="cdk-deploy-change-set")
        with pytest.raises(UnboundLocalError):
            cloudformation().delete_change_set(StackName="s", ChangeSetName="cdk-deploy-change-set")
    patched(moto_patches.missing_change_set_is_not_found)
    with mock_aws():
        cloudformation().create_stack(StackName="s", TemplateBody=json.dumps({"Resources": QUEUE["Resources"]}))
        with pytest.raises(ClientError) as error:
            cloudformation().describe_change_set(StackName="s", ChangeSetName="cdk-deploy-change-set")
        assert error.value.response["Error"]["Code"] == "ChangeSetNotFound"
        cloudformation().delete_change_set(StackName="s", ChangeSetName="cdk-deploy-change-set")


QUEUE: dict[str, Any] = {
    "Parameters": {"Version": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/bootstrap/version"}},
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}},
}


def deploy_by_change_set(template: dict[str, Any], kind: str, parameters: list[dict[str, Any]]) -> str:
    cloudformation().create_change_set(
        StackName="s",
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType=kind,
        TemplateBody=json.dumps(template),
        Parameters=parameters,
    )
    cloudformation().execute_change_set(StackName="s", ChangeSetName="cdk-deploy-change-set")
    (stack,) = cloudformation().describe_stacks(StackName="s")["Stacks"]
    return ",".join(o["OutputKey"] for o in stack.get("Outputs", []))


def test_a_change_set_deploy_keeps_the_stacks_outputs(patched: Callable[..., None]) -> None:
    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/bootstrap/version", Value="30", Type="String")
        assert deploy_by_change_set(QUEUE, "CREATE", []) == ""  # moto lost the output
    patched(moto_patches.change_set_execution_updates_the_stack)
    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/bootstrap/version", Value="30", Type="String")
        assert deploy_by_change_set(QUEUE, "CREATE", []) == "QueueUrl"


def test_previous_value_of_an_ssm_parameter_is_its_name(patched: Callable[..., None]) -> None:
    changed = copy.deepcopy(QUEUE)
    changed["Resources"]["Queue"]["Properties"] = {"DelaySeconds": 5}
    previous = [{"ParameterKey": "Version", "UsePreviousValue": True}]
    patched(moto_patches.change_set_execution_updates_the_stack)
    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/bootstrap/version", Value="30", Type="String")
        deploy_by_change_set(QUEUE, "CREATE", [])
        with pytest.raises(AttributeError):  # the SSM parameter named "30" does not exist
            deploy_by_change_set(changed, "UPDATE", previous)
    patched(moto_patches.previous_parameter_values_are_the_given_ones)
    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(Name="/bootstrap/version", Value="30", Type="String")
        deploy_by_change_set(QUEUE, "CREATE", [])
        assert deploy_by_change_set(changed, "UPDATE", previous) == "QueueUrl"
        (stack,) = cloudformation().describe_stacks(StackName="s")["Stacks"]
        assert stack["StackStatus"] == "UPDATE_COMPLETE"


IMAGE = "811284229777.dkr.ecr.us-east-1.amazonaws.com/object-detection:1"


def endpoint_resources(instance_type: str) -> dict[str, Any]:
    return {
        "Model": {
            "Type": "AWS::SageMaker::Model",
            "Properties": {
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
                "PrimaryContainer": {"Image": IMAGE},
            },
        },
        "Config": {
            "Type": "AWS::SageMaker::EndpointConfig",
            "Properties": {
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                        "InstanceType": instance_type,
                        "InitialInstanceCount": 1,
                        "InitialVariantWeight": 1,
                    }
                ]
            },
        },
        "Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {"EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}},
        },
    }


def endpoint_template(instance_type: str) -> str:
    return json.dumps({"Resources": endpoint_resources(instance_type)})


def update_instance_type() -> tuple[str, list[str]]:
    """The endpoint's config's instance type after an update from ml.m5.large to ml.c5.xlarge, and the configs left."""
    cloudformation().create_stack(StackName="e", TemplateBody=endpoint_template("ml.m5.large"))
    cloudformation().update_stack(StackName="e", TemplateBody=endpoint_template("ml.c5.xlarge"))
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    (endpoint,) = sagemaker.list_endpoints()["Endpoints"]
    configs = [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    serving = sagemaker.describe_endpoint(EndpointName=endpoint["EndpointName"])["EndpointConfigName"]
    if serving not in configs:
        return f"{serving} (deleted)", configs
    (variant,) = sagemaker.describe_endpoint_config(EndpointConfigName=serving)["ProductionVariants"]
    return str(variant["InstanceType"]), configs


def test_an_update_moves_the_endpoint_to_its_new_config_and_deletes_the_old_after(
    patched: Callable[..., None],
) -> None:
    with mock_aws():
        serving, configs = update_instance_type()
        assert serving.endswith("(deleted)")  # moto: the endpoint still points at the deleted old config
        assert len(configs) == 1
    patched(moto_patches.updates_follow_references)
    patched(moto_patches.sagemaker_replacement_deletes_the_old_after_the_update)
    with mock_aws():
        serving, configs = update_instance_type()
        assert serving == "ml.c5.xlarge"
        assert len(configs) == 1  # the old one was deleted after the endpoint moved


ALARM = {
    "Resources": {
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "EvaluationPeriods": 2,
                "MetricName": "Invocation5XXErrors",
                "Namespace": "AWS/SageMaker",
                "Period": 60,
                "Statistic": "Sum",
                "Threshold": 1,
                "Dimensions": [{"Name": "VariantName", "Value": "Primary"}],
                "TreatMissingData": "notBreaching",
            },
        }
    }
}


def alarms_of_a_stack() -> tuple[str, list[str]]:
    cloudformation().create_stack(StackName="a", TemplateBody=json.dumps(ALARM))
    (stack,) = cloudformation().describe_stacks(StackName="a")["Stacks"]
    alarms = boto3.client("cloudwatch", region_name="us-east-1").describe_alarms()["MetricAlarms"]
    return str(stack["StackStatus"]), [a["MetricName"] for a in alarms]


def test_a_stacks_alarm_is_skipped_by_moto_and_created_patched(patched: Callable[..., None]) -> None:
    with mock_aws():
        assert alarms_of_a_stack() == ("CREATE_COMPLETE", [])  # complete, yet no alarm
    patched(moto_patches.cloudwatch_alarms_in_stacks)
    with mock_aws():
        assert alarms_of_a_stack() == ("CREATE_COMPLETE", ["Invocation5XXErrors"])
        cloudformation().delete_stack(StackName="a")
        assert boto3.client("cloudwatch", region_name="us-east-1").describe_alarms()["MetricAlarms"] == []


def test_a_stacks_alarm_answers_getatt_arn_patched(patched: Callable[..., None]) -> None:
    # A dashboard's alarm status widget names its alarms with Fn::GetAtt [alarm, Arn].
    patched(moto_patches.cloudwatch_alarms_in_stacks)
    template = ALARM | {"Outputs": {"AlarmArn": {"Value": {"Fn::GetAtt": ["Alarm", "Arn"]}}}}
    with mock_aws():
        cloudformation().create_stack(StackName="a", TemplateBody=json.dumps(template))
        (stack,) = cloudformation().describe_stacks(StackName="a")["Stacks"]
        (alarm,) = boto3.client("cloudwatch", region_name="us-east-1").describe_alarms()["MetricAlarms"]
        assert stack["Outputs"][0]["OutputValue"] == alarm["AlarmArn"]


TARGET_ID = {"Fn::Join": ["", ["endpoint/", {"Fn::GetAtt": ["Endpoint", "EndpointName"]}, "/variant/AllTraffic"]]}


def autoscaled_endpoint_template(instance_type: str, max_capacity: int = 4) -> str:
    """An endpoint as the construct builds it for staging: autoscaled, retaining variant properties."""
    resources = endpoint_resources(instance_type)
    resources["Endpoint"]["Properties"] |= {
        "RetainAllVariantProperties": True,
        "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"}],
    }
    resources["Target"] = {
        "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
        "Properties": {
            "MaxCapacity": max_capacity,
            "MinCapacity": 1,
            "ResourceId": TARGET_ID,
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "ServiceNamespace": "sagemaker",
        },
    }
    resources["Policy"] = {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "Properties": {
            "PolicyName": "AllTraffic-invocations-per-instance",
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": "Target"},
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                "TargetValue": 200,
            },
        },
    }
    return json.dumps({"Resources": resources})


def scaling_of_a_stack() -> tuple[list[tuple[str, int, int]], list[tuple[str, float]]]:
    """The stack's scalable targets (resource id, min, max) and scaling policies (name, target value)."""
    scaling = boto3.client("application-autoscaling", region_name="us-east-1")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    return (
        [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets],
        [(p["PolicyName"], p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]) for p in policies],
    )


def test_a_stacks_autoscaling_is_skipped_by_moto_and_registered_patched(patched: Callable[..., None]) -> None:
    with mock_aws():
        cloudformation().create_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large"))
        assert scaling_of_a_stack() == ([], [])  # CREATE_COMPLETE, yet nothing registered
    patched(moto_patches.application_autoscaling_in_stacks)
    with mock_aws():
        cloudformation().create_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large"))
        ((resource_id, low, high),), policies = scaling_of_a_stack()
        (endpoint,) = boto3.client("sagemaker", region_name="us-east-1").list_endpoints()["Endpoints"]
        assert (resource_id, low, high) == (f"endpoint/{endpoint['EndpointName']}/variant/AllTraffic", 1, 4)
        assert policies == [("AllTraffic-invocations-per-instance", 200.0)]
        cloudformation().update_stack(
            StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large", max_capacity=6)
        )
        assert scaling_of_a_stack()[0] == [(resource_id, 1, 6)]  # updated in place
        cloudformation().delete_stack(StackName="e")
        assert scaling_of_a_stack() == ([], [])


POLICY_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}],
}
POLICIES = {
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": POLICY_DOCUMENT},
        },
        "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": POLICY_DOCUMENT},
        },
    }
}


def policies_of_a_stack() -> tuple[list[str], list[str]]:
    """The Sids of the stack's topic policy and bucket policy statements ([] when there is none)."""
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation().list_stack_resources(StackName="p")["StackResourceSummaries"]
    }
    topic = boto3.client("sns", region_name="us-east-1").get_topic_attributes(TopicArn=physical["Topic"])
    try:
        bucket = boto3.client("s3").get_bucket_policy(Bucket=physical["Bucket"])["Policy"]
    except ClientError:
        bucket = '{"Statement": []}'
    return (
        [s["Sid"] for s in json.loads(topic["Attributes"]["Policy"])["Statement"]],
        [s["Sid"] for s in json.loads(bucket)["Statement"]],
    )


def test_a_stacks_topic_and_bucket_policies_are_skipped_by_moto_and_set_patched(
    patched: Callable[..., None],
) -> None:
    with mock_aws():
        cloudformation().create_stack(StackName="p", TemplateBody=json.dumps(POLICIES))
        assert policies_of_a_stack() == (["__default_statement_ID"], [])
    patched(moto_patches.resource_policies_in_stacks)
    with mock_aws():
        cloudformation().create_stack(StackName="p", TemplateBody=json.dumps(POLICIES))
        assert policies_of_a_stack() == (["TlsOnly"], ["TlsOnly"])
        cloudformation().delete_stack(StackName="p")
        (bucket,) = boto3.client("s3").list_buckets()["Buckets"]  # retained, without its policy
        with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
            boto3.client("s3").get_bucket_policy(Bucket=bucket["Name"])


def scale_out_then_update(template: str) -> dict[str, Any]:
    """Auto scaling moves the variant to 3 instances and weight 0.5; then a stack update. The variant after."""
    cloudformation().create_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large"))
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    (endpoint,) = sagemaker.list_endpoints()["Endpoints"]
    name = endpoint["EndpointName"]
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 3, "DesiredWeight": 0.5}],
    )
    cloudformation().update_stack(StackName="e", TemplateBody=template)
    (variant,) = sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"]
    return dict(variant)


def test_an_update_resets_autoscaled_capacity_in_moto_and_retains_it_patched(patched: Callable[..., None]) -> None:
    patched(moto_patches.updates_follow_references)
    patched(moto_patches.sagemaker_replacement_deletes_the_old_after_the_update)
    patched(moto_patches.application_autoscaling_in_stacks)
    changed = json.loads(autoscaled_endpoint_template("ml.m5.large"))
    changed["Resources"]["Config"]["Properties"]["ProductionVariants"][0]["InitialVariantWeight"] = 2
    with mock_aws():
        variant = scale_out_then_update(json.dumps(changed))
        assert variant["CurrentInstanceCount"] == 1  # moto: deleted and created again from the new config
    patched(moto_patches.endpoint_updates_in_place)
    with mock_aws():
        variant = scale_out_then_update(json.dumps(changed))
        # RetainAllVariantProperties keeps the autoscaled count; DesiredWeight is excluded: the template's
        assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (3, 3)
        assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (2.0, 2.0)


def sagemaker_state() -> tuple[str, list[str], list[str]]:
    """(the endpoint's config, every config, every model)."""
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    (endpoint,) = sagemaker.list_endpoints()["Endpoints"]
    serving = sagemaker.describe_endpoint(EndpointName=endpoint["EndpointName"])["EndpointConfigName"]
    configs = sorted(c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"])
    return serving, configs, sorted(m["ModelName"] for m in sagemaker.list_models()["Models"])


def failing_change_set_update(after: str) -> tuple[str, str, tuple[str, list[str], list[str]], str]:
    """Deploy the autoscaled endpoint, then execute a change set to ``after``, as the CDK CLI does:
    the execution's result, the endpoint's config before, the SageMaker state after, the stack's status."""
    cloudformation().create_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large"))
    serving_before = sagemaker_state()[0]
    cloudformation().create_change_set(
        StackName="e", ChangeSetName="cdk-deploy-change-set", ChangeSetType="UPDATE", TemplateBody=after
    )
    try:
        cloudformation().execute_change_set(StackName="e", ChangeSetName="cdk-deploy-change-set")
        executed = "executed"
    except ClientError as error:
        executed = error.response["Error"]["Code"]
    except (
        ResponseParserError
    ):  # moto answered a JSON error to a query-protocol call ("XML parse error" in the CDK CLI)
        executed = "unparseable error"
    (stack,) = cloudformation().describe_stacks(StackName="e")["Stacks"]
    return executed, serving_before, sagemaker_state(), stack["StackStatus"]


UPDATE_PATCHES = (
    moto_patches.missing_change_set_is_not_found,
    moto_patches.change_set_execution_updates_the_stack,
    moto_patches.updates_follow_references,
    moto_patches.sagemaker_replacement_deletes_the_old_after_the_update,
    moto_patches.application_autoscaling_in_stacks,
    moto_patches.endpoint_updates_in_place,
)


def moved_endpoint_then_failing_policy() -> str:
    """An update that moves the endpoint to a new config (another weight), then fails on its scaling policy."""
    template = json.loads(autoscaled_endpoint_template("ml.m5.large"))
    template["Resources"]["Config"]["Properties"]["ProductionVariants"][0]["InitialVariantWeight"] = 2
    template["Resources"]["Policy"]["Properties"]["PolicyType"] = "NoSuchScaling"
    return json.dumps(template)


@pytest.mark.parametrize(
    ("after", "failed", "configs_left_by_moto"),
    [
        # SageMaker refuses an instance-type change of a variant registered for auto scaling
        (autoscaled_endpoint_template("ml.c5.xlarge"), "Endpoint", 2),
        # an endpoint config with an instance type SageMaker does not know
        (autoscaled_endpoint_template("ml.m5.enormous"), "Config", 1),
        # a failure after the endpoint moved: it must move back
        (moved_endpoint_then_failing_policy(), "Policy", 2),
    ],
)
def test_a_failed_update_is_left_half_done_by_moto_and_rolled_back_patched(
    patched: Callable[..., None], after: str, failed: str, configs_left_by_moto: int
) -> None:
    for patch in UPDATE_PATCHES:
        patched(patch)
    with mock_aws():
        executed, serving_before, (serving, configs, _), status = failing_change_set_update(after)
        # moto: the execution answers the error, the stack still says CREATE_COMPLETE, and what the update
        # did stays: a new config beside the old one, or the endpoint on the new config, the old one deleted
        assert executed in ("ValidationException", "unparseable error")
        assert status == "CREATE_COMPLETE"
        assert len(configs) == configs_left_by_moto
        assert failed != "Policy" or serving != serving_before
    patched(moto_patches.failed_updates_roll_back)
    with mock_aws():
        executed, serving_before, (serving, configs, models), status = failing_change_set_update(after)
        assert (executed, status) == ("executed", "UPDATE_ROLLBACK_COMPLETE")
        # the endpoint is back on its previous config, which is kept with its model; the new one is gone
        assert serving == serving_before
        assert configs == [serving_before]
        assert len(models) == 1
        template = cloudformation().get_template(StackName="e")["TemplateBody"]
        assert "ml.m5.large" in json.dumps(template)  # the stack keeps its previous template
        events = cloudformation().describe_stack_events(StackName="e")["StackEvents"]
        reasons = [e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"].startswith("UPDATE_ROLL")]
        assert any(f"failed to update: [{failed}]" in r for r in reasons)
        # and the stack takes the next update
        cloudformation().update_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large", 5))
        (stack,) = cloudformation().describe_stacks(StackName="e")["Stacks"]
        assert stack["StackStatus"] == "UPDATE_COMPLETE"


def tls_only_bucket(extra: list[dict[str, Any]]) -> Any:
    """A bucket with CDK's TLS-only statement (enforceSSL), and ``extra`` statements."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="assets")
    tls_only = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::assets", "arn:aws:s3:::assets/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    s3.put_bucket_policy(Bucket="assets", Policy=json.dumps({"Statement": [tls_only, *extra]}))
    return s3


def test_a_tls_only_bucket_policy_denies_everything_in_moto_and_only_plain_http_patched(
    patched: Callable[..., None],
) -> None:
    with mock_aws(), pytest.raises(ClientError, match="Forbidden"):
        tls_only_bucket([]).put_object(Bucket="assets", Key="template.json", Body=b"{}")
    patched(moto_patches.bucket_policy_conditions)
    with mock_aws():
        tls_only_bucket([]).put_object(Bucket="assets", Key="template.json", Body=b"{}")
    deny_puts = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::assets/*"}
    with mock_aws(), pytest.raises(ClientError, match="Forbidden"):  # a statement without condition still applies
        tls_only_bucket([deny_puts]).put_object(Bucket="assets", Key="template.json", Body=b"{}")


def remove_then_restore_autoscaling() -> list[tuple[str, int, int]]:
    cloudformation().create_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large"))
    cloudformation().update_stack(StackName="e", TemplateBody=endpoint_template("ml.m5.large"))
    assert scaling_of_a_stack() == ([], [])
    cloudformation().update_stack(StackName="e", TemplateBody=autoscaled_endpoint_template("ml.m5.large"))
    return scaling_of_a_stack()[0]


def test_a_resource_removed_then_added_again_is_not_created_by_moto_and_is_patched(
    patched: Callable[..., None],
) -> None:
    for patch in UPDATE_PATCHES:
        patched(patch)
    with mock_aws():
        assert remove_then_restore_autoscaling() == []  # the stack lists the target; nothing is registered
    patched(moto_patches.removed_resources_are_forgotten)
    with mock_aws():
        ((resource_id, low, high),) = remove_then_restore_autoscaling()
        assert (resource_id.endswith("/variant/AllTraffic"), low, high) == (True, 1, 4)


def create_endpoint_config(instance_type: str) -> str:
    client = boto3.client("sagemaker", region_name="us-east-1")
    if not client.list_models()["Models"]:
        role = "arn:aws:iam::123456789012:role/sagemaker"
        client.create_model(ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": "image:1"})
    variant = {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": instance_type, "InitialInstanceCount": 1}
    client.create_endpoint_config(
        EndpointConfigName=f"c-{instance_type.replace('.', '-')}", ProductionVariants=[variant]
    )
    config = client.describe_endpoint_config(EndpointConfigName=f"c-{instance_type.replace('.', '-')}")
    return str(config["ProductionVariants"][0]["InstanceType"])


@mock_aws
@pytest.mark.parametrize("instance_type", ["ml.g5.xlarge", "ml.g6.xlarge", "ml.inf2.xlarge", "ml.c6i.xlarge"])
def test_current_successor_instances_are_refused_by_moto_and_accepted_patched(
    patched: Callable[..., None], instance_type: str
) -> None:
    with pytest.raises(ClientError, match=r"failed to satisfy constraint"):
        create_endpoint_config(instance_type)
    patched(moto_patches.sagemaker_instance_types_of_the_service_model)
    assert create_endpoint_config(instance_type) == instance_type


@mock_aws
def test_an_instance_type_sagemaker_does_not_know_is_still_refused_patched(patched: Callable[..., None]) -> None:
    patched(moto_patches.sagemaker_instance_types_of_the_service_model)
    assert create_endpoint_config("ml.g4dn.xlarge") == "ml.g4dn.xlarge"
    with pytest.raises(ClientError, match=r"'ml\.eia2\.medium' at 'instanceType' failed to satisfy constraint"):
        create_endpoint_config("ml.eia2.medium")
