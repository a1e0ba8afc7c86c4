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


def endpoint_template(instance_type: str) -> str:
    return json.dumps(
        {
            "Resources": {
                "Model": {
                    "Type": "AWS::SageMaker::Model",
                    "Properties": {
                        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
                        "PrimaryContainer": {
                            "Image": "811284229777.dkr.ecr.us-east-1.amazonaws.com/object-detection:1"
                        },
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
        }
    )


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
