"""Encryption, isolation, VPC placement, data capture, autoscaling and deployment guardrails."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from sagemaker_ei_endpoint import (
    AcceleratorMode,
    CaptureMode,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    EIEndpointPropsError,
    EIFramework,
    TrafficShift,
    VariantAutoscaling,
    VpcPlacement,
)
from sagemaker_ei_endpoint.execution_role import VPC_ACTIONS
from tests.conftest import EndpointFactory, new_stack, variant


def template_of(stack: cdk.Stack) -> assertions.Template:
    return assertions.Template.from_stack(stack)


def single(template: assertions.Template, type_name: str) -> Any:
    (resource,) = template.find_resources(type_name).values()
    return resource


def policy_actions(template: assertions.Template) -> list[str]:
    statements = single(template, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    return [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def test_storage_is_encrypted_with_a_created_rotating_key_by_default(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint()
    template = template_of(stack)
    (key_id,) = template.find_resources("AWS::KMS::Key", {"Properties": {"EnableKeyRotation": True}})
    assert single(template, "AWS::SageMaker::EndpointConfig")["Properties"]["KmsKeyId"] == {
        "Fn::GetAtt": [key_id, "Arn"]
    }


def test_own_key_is_used_and_none_is_created(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    make_endpoint(stack=stack, encryption_key=key)
    template = template_of(stack)
    template.resource_count_is("AWS::KMS::Key", 0)
    assert single(template, "AWS::SageMaker::EndpointConfig")["Properties"]["KmsKeyId"] == key.key_arn


def test_storage_encryption_can_be_turned_off(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(storage_encryption=False)
    template = template_of(stack)
    template.resource_count_is("AWS::KMS::Key", 0)
    assert "KmsKeyId" not in single(template, "AWS::SageMaker::EndpointConfig")["Properties"]


def test_instances_with_local_storage_get_no_kms_key_id(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint(variants=[variant(instance_type="ml.m5d.large")])
    assert "KmsKeyId" not in single(template_of(stack), "AWS::SageMaker::EndpointConfig")["Properties"]
    acknowledged = [m.data for m in endpoint.node.metadata if m.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY]
    assert any(
        "SageMakerEndpointConfigurationKMSKeyConfigured" in str(a) and "ml.m5d.large" in str(a) for a in acknowledged
    )


def test_network_isolation_is_on_where_aws_supports_it_and_can_be_turned_off(make_endpoint: EndpointFactory) -> None:
    # MXNet off EI: a container AWS does not list as unable to run isolated (more in test_aws_contract.py).
    mxnet = ContainerImage.from_ei_framework(EIFramework.MXNET, "1.7.0")
    stack, _ = make_endpoint(image=mxnet, accelerator_mode=AcceleratorMode.SUCCESSOR)
    assert single(template_of(stack), "AWS::SageMaker::Model")["Properties"]["EnableNetworkIsolation"] is True
    stack, _ = make_endpoint(image=mxnet, accelerator_mode=AcceleratorMode.SUCCESSOR, network_isolation=False)
    assert single(template_of(stack), "AWS::SageMaker::Model")["Properties"]["EnableNetworkIsolation"] is False


def test_vpc_placement_sets_subnets_and_a_created_security_group(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    make_endpoint(stack=stack, vpc=VpcPlacement(vpc=vpc), accelerator_mode=AcceleratorMode.SUCCESSOR)
    template = template_of(stack)
    (group_id,) = template.find_resources("AWS::EC2::SecurityGroup")
    vpc_config = single(template, "AWS::SageMaker::Model")["Properties"]["VpcConfig"]
    assert vpc_config["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]
    assert len(vpc_config["Subnets"]) == 2
    assert set(VPC_ACTIONS) <= set(policy_actions(template))


def test_role_gets_network_interface_actions_only_in_a_vpc(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint()
    assert not set(VPC_ACTIONS) & set(policy_actions(template_of(stack)))


def test_vpc_without_usable_subnets_is_refused(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=1,
        subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
    )
    with pytest.raises(EIEndpointPropsError, match=r"vpc.vpc_subnets: the VPC has no private or isolated subnets"):
        make_endpoint(stack=stack, vpc=VpcPlacement(vpc=vpc))


def test_created_capture_bucket_is_encrypted_private_tls_only_versioned_and_retained(
    make_endpoint: EndpointFactory,
) -> None:
    stack, _ = make_endpoint(data_capture=DataCapture(sampling_percentage=25, capture_modes=[CaptureMode.INPUT]))
    template = template_of(stack)
    (key_id,) = template.find_resources("AWS::KMS::Key")
    bucket = single(template, "AWS::S3::Bucket")
    properties = bucket["Properties"]
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        "SSEAlgorithm": "aws:kms",
    }
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain"
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    assertions.Match.object_like(
                        {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                    )
                ]
            }
        },
    )
    capture = single(template, "AWS::SageMaker::EndpointConfig")["Properties"]["DataCaptureConfig"]
    assert capture["InitialSamplingPercentage"] == 25
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}]
    assert capture["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert "s3:PutObject" in policy_actions(template)


def test_capture_bucket_may_be_removed_when_the_stack_says_so(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(data_capture=DataCapture(removal_policy=cdk.RemovalPolicy.DESTROY))
    assert single(template_of(stack), "AWS::S3::Bucket")["DeletionPolicy"] == "Delete"


def test_own_capture_bucket_is_used_and_none_is_created(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Capture", "team-capture")
    make_endpoint(stack=stack, data_capture=DataCapture(bucket=bucket, prefix="ic"))
    template = template_of(stack)
    template.resource_count_is("AWS::S3::Bucket", 0)
    capture = single(template, "AWS::SageMaker::EndpointConfig")["Properties"]["DataCaptureConfig"]
    assert capture["DestinationS3Uri"] == "s3://team-capture/ic"


def test_environments_capture_and_retain_in_staging_and_prod_only(
    environment_templates: dict[str, assertions.Template],
) -> None:
    environment_templates["dev"].resource_count_is("AWS::S3::Bucket", 0)
    for env in ("staging", "prod"):
        bucket = single(environment_templates[env], "AWS::S3::Bucket")
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_autoscaling_tracks_invocations_per_instance(make_endpoint: EndpointFactory) -> None:
    scaling = VariantAutoscaling(min_instance_count=1, max_instance_count=5, target_invocations_per_instance=250)
    stack, endpoint = make_endpoint(variants=[variant("Blue", initial_instance_count=2, autoscaling=scaling)])
    template = template_of(stack)
    target = single(template, "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 5)
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert stack.resolve(endpoint.endpoint_name) in target["ResourceId"]["Fn::Join"][1]
    assert "RoleARN" not in target  # the SageMaker service-linked role
    policy = single(template, "AWS::ApplicationAutoScaling::ScalingPolicy")["Properties"]
    assert policy["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
        "TargetValue": 250,
    }


@pytest.mark.parametrize(("low", "initial", "high"), [(3, 2, 5), (1, 6, 5), (0, 1, 1)])
def test_scaling_bounds_must_hold_the_initial_count(
    make_endpoint: EndpointFactory, low: int, initial: int, high: int
) -> None:
    scaling = VariantAutoscaling(min_instance_count=low, max_instance_count=high, target_invocations_per_instance=10)
    with pytest.raises(EIEndpointPropsError, match=rf"got min {low}, initial {initial}, max {high}"):
        make_endpoint(variants=[variant(initial_instance_count=initial, autoscaling=scaling)])


def test_prod_deploys_canary_blue_green_with_rollback_alarms_that_notify(
    environment_templates: dict[str, assertions.Template],
) -> None:
    template = environment_templates["prod"]
    endpoint = single(template, "AWS::SageMaker::Endpoint")["Properties"]
    config = endpoint["DeploymentConfig"]
    assert config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"] == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 600,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
    }
    assert config["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] == 900
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == 4  # errors and latency for each of the two variants
    assert config["AutoRollbackConfiguration"]["Alarms"] == [{"AlarmName": {"Ref": a}} for a in alarms]
    (topic_id,) = template.find_resources("AWS::SNS::Topic")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["Properties"]["Dimensions"][0] == {"Name": "EndpointName", "Value": endpoint["EndpointName"]}
    latency = [a for a in alarms.values() if a["Properties"]["MetricName"] == "ModelLatency"]
    assert {a["Properties"]["Threshold"] for a in latency} == {500_000}  # 500 ms in microseconds


def test_staging_shifts_linearly_and_dev_has_no_guardrails(
    environment_templates: dict[str, assertions.Template],
) -> None:
    staging = single(environment_templates["staging"], "AWS::SageMaker::Endpoint")["Properties"]
    routing = staging["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert (routing["Type"], routing["LinearStepSize"]["Value"]) == ("LINEAR", 50)
    assert "DeploymentConfig" not in single(environment_templates["dev"], "AWS::SageMaker::Endpoint")["Properties"]
    environment_templates["dev"].resource_count_is("AWS::CloudWatch::Alarm", 0)


def test_alarm_topic_is_encrypted_and_tls_only(environment_templates: dict[str, assertions.Template]) -> None:
    template = environment_templates["prod"]
    assert "KmsMasterKeyId" in single(template, "AWS::SNS::Topic")["Properties"]
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": assertions.Match.array_with(
                    [
                        assertions.Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            }
        },
    )


def test_rolling_update_for_one_variant_and_user_alarms(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    own = cloudwatch.Alarm.from_alarm_name(stack, "Own", "team-slo-burn")
    guardrails = DeploymentGuardrails.rolling(batch_percent=20, wait=cdk.Duration.minutes(2), extra_alarms=[own])
    topic = sns.Topic(stack, "Topic")
    make_endpoint(stack=stack, deployment=guardrails, alarm_topic=topic)
    config = single(template_of(stack), "AWS::SageMaker::Endpoint")["Properties"]["DeploymentConfig"]
    assert config["RollingUpdatePolicy"]["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 20}
    assert config["AutoRollbackConfiguration"]["Alarms"][-1] == {"AlarmName": "team-slo-burn"}
    assert len(config["AutoRollbackConfiguration"]["Alarms"]) == 3


def test_rolling_update_of_two_variants_is_refused(make_endpoint: EndpointFactory) -> None:
    guardrails = DeploymentGuardrails.rolling(batch_percent=20, wait=cdk.Duration.minutes(2))
    with pytest.raises(EIEndpointPropsError, match=r"deployment: SageMaker rolling updates take one variant, got 2"):
        make_endpoint(variants=[variant("A"), variant("B")], deployment=guardrails)


def test_more_than_ten_rollback_alarms_are_refused(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    extra = [cloudwatch.Alarm.from_alarm_name(stack, f"A{i}", f"alarm-{i}") for i in range(7)]
    guardrails = DeploymentGuardrails.blue_green(TrafficShift.all_at_once(), extra_alarms=extra)
    with pytest.raises(
        EIEndpointPropsError, match=r"at most 10 rollback alarms; 2 variant\(s\) bring 4 and 7 were added"
    ):
        make_endpoint(stack=stack, variants=[variant("A"), variant("B")], deployment=guardrails)


def test_guardrails_give_the_endpoint_a_stable_derived_name(make_endpoint: EndpointFactory) -> None:
    guardrails = DeploymentGuardrails.blue_green(TrafficShift.all_at_once())
    names = {
        single(template_of(make_endpoint(deployment=guardrails)[0]), "AWS::SageMaker::Endpoint")["Properties"][
            "EndpointName"
        ]
        for _ in range(2)
    }
    (name,) = names
    assert name.startswith("Test-Endpoint-")
    assert len(name) <= 63


def test_no_unused_key_is_created_for_instances_with_local_storage(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint(variants=[variant(instance_type="ml.m5d.large")])
    template_of(stack).resource_count_is("AWS::KMS::Key", 0)
    assert endpoint.encryption_key is None
    stack, _ = make_endpoint(variants=[variant(instance_type="ml.m5d.large")], data_capture=DataCapture())
    template_of(stack).resource_count_is("AWS::KMS::Key", 1)  # still needed for the captured data
