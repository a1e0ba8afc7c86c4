"""What an EIEndpoint puts in the template: resources, chaining, role, outputs, annotations."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker

from sagemaker_ei_endpoint import WARNING_EI_RETIRED, AcceleratorType, ModelData
from stacks.environments import ENVIRONMENTS
from tests.conftest import EndpointFactory, cdk_json_context, new_stack, variant

ENV_NAMES = list(ENVIRONMENTS)


def resources(template: assertions.Template, type_name: str) -> list[Any]:
    return list(template.find_resources(type_name).values())


@pytest.mark.parametrize("env", ENV_NAMES)
def test_every_variant_carries_its_accelerator(environment_templates: dict[str, assertions.Template], env: str) -> None:
    (config,) = resources(environment_templates[env], "AWS::SageMaker::EndpointConfig")
    deployed = [
        (v["VariantName"], v["InstanceType"], v["AcceleratorType"]) for v in config["Properties"]["ProductionVariants"]
    ]
    configured = [
        (v.variant_name, v.instance_type, v.accelerator_type.name)
        for e in ENVIRONMENTS[env].endpoints
        for v in e.variants
    ]
    assert deployed == configured


@pytest.mark.parametrize("env", ENV_NAMES)
def test_model_config_and_endpoint_are_chained_by_getatt(
    environment_templates: dict[str, assertions.Template], env: str
) -> None:
    template = environment_templates[env]
    (model_id,) = template.find_resources("AWS::SageMaker::Model")
    (config_id,) = template.find_resources("AWS::SageMaker::EndpointConfig")
    (config,) = resources(template, "AWS::SageMaker::EndpointConfig")
    for production_variant in config["Properties"]["ProductionVariants"]:
        assert production_variant["ModelName"] == {"Fn::GetAtt": [model_id, "ModelName"]}
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint", {"EndpointConfigName": {"Fn::GetAtt": [config_id, "EndpointConfigName"]}}
    )


@pytest.mark.parametrize("env", ENV_NAMES)
def test_model_and_endpoint_config_are_never_named(
    environment_templates: dict[str, assertions.Template], env: str
) -> None:
    template = environment_templates[env]
    for model in resources(template, "AWS::SageMaker::Model"):
        assert "ModelName" not in model["Properties"]
    for config in resources(template, "AWS::SageMaker::EndpointConfig"):
        assert "EndpointConfigName" not in config["Properties"]


@pytest.mark.parametrize("env", ENV_NAMES)
def test_stack_outputs_endpoint_name_and_arn(environment_templates: dict[str, assertions.Template], env: str) -> None:
    template = environment_templates[env]
    (endpoint_id,) = template.find_resources("AWS::SageMaker::Endpoint")
    template.has_output("ImageClassifierEndpointName", {"Value": {"Fn::GetAtt": [endpoint_id, "EndpointName"]}})
    template.has_output("ImageClassifierEndpointArn", {"Value": {"Ref": endpoint_id}})


def execution_resources(template: assertions.Template, type_name: str) -> list[tuple[str, Any]]:
    """The endpoint's own resources of a type (the stack also has a smoke-test role and policy)."""
    return [(k, r) for k, r in template.find_resources(type_name).items() if k.startswith("ImageClassifierExecution")]


def partition_arn(rest: str) -> str:
    # @aws-cdk/core:enablePartitionLiterals: a stack in a known region writes its partition out.
    return f"arn:aws{rest}"


def test_created_role_has_exactly_the_actions_needed(environment_templates: dict[str, assertions.Template]) -> None:
    template = environment_templates["prod"]
    ((role_id, role),) = execution_resources(template, "AWS::IAM::Role")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"]
    template.resource_count_is("AWS::IAM::Policy", 0)  # no inline policy: compliance packs refuse them
    ((_, policy),) = execution_resources(template, "AWS::IAM::ManagedPolicy")
    log_groups = ":logs:us-east-1:222222222222:log-group:/aws/sagemaker/Endpoints/*"
    (key_id,) = [k for k in template.find_resources("AWS::KMS::Key") if k.startswith("ImageClassifierKey")]
    (bucket_id,) = template.find_resources("AWS::S3::Bucket")
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        # ec2:DescribeVpcEndpoints and elastic-inference:Connect: AWS's "Set Up to Use EI" page.
        {"Action": ["ec2:DescribeVpcEndpoints", "ecr:GetAuthorizationToken"], "Effect": "Allow", "Resource": "*"},
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
            "Effect": "Allow",
            "Resource": "*",
        },
        {
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": [partition_arn(log_groups), partition_arn(f"{log_groups}:log-stream:*")],
        },
        {
            "Action": "elastic-inference:Connect",
            "Effect": "Allow",
            "Resource": partition_arn(":elastic-inference:us-east-1:*:elastic-inference-accelerator/*"),
        },
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": partition_arn(":s3:::example-ml-models-prod/image-classifier/model.tar.gz"),
        },
        {
            "Action": "s3:PutObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/data-capture/*"]]},
        },
        {
            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
        },
    ]
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]


def test_model_waits_for_the_role_policy(environment_templates: dict[str, assertions.Template]) -> None:
    template = environment_templates["dev"]
    ((policy_id, _),) = execution_resources(template, "AWS::IAM::ManagedPolicy")
    (model,) = resources(template, "AWS::SageMaker::Model")
    assert model["DependsOn"] == [policy_id]


def test_bring_your_own_role_creates_no_role(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/ml-team", mutable=False)
    _, endpoint = make_endpoint(stack=stack, role=role)
    template = assertions.Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Role", 0)
    template.has_resource_properties(
        "AWS::SageMaker::Model", {"ExecutionRoleArn": "arn:aws:iam::123456789012:role/ml-team"}
    )
    assert endpoint.role is role


def test_model_data_from_bucket_is_readable_by_key_only(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "models")
    make_endpoint(
        stack=stack, model_data=ModelData.from_bucket(bucket, "a/model.tar.gz"), environment={"B": "2", "A": "1"}
    )
    template = assertions.Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": {
                "ModelDataUrl": "s3://models/a/model.tar.gz",
                "Environment": {"A": "1", "B": "2"},
                "Image": assertions.Match.any_value(),
            }
        },
    )
    assert "s3:ListBucket" not in str(template.to_json())


def test_model_data_from_a_local_tar_gz_becomes_a_file_asset(make_endpoint: EndpointFactory, tmp_path: Any) -> None:
    artifact = tmp_path / "model.tar.gz"
    artifact.write_bytes(b"\x1f\x8b")
    stack, endpoint = make_endpoint(model_data=ModelData.from_asset(str(artifact)))
    assert "cdk-hnb659fds-assets-123456789012-us-east-1" in str(stack.resolve(endpoint.model_data_url))


def test_endpoint_name_is_optional_and_passed_through(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(endpoint_name="image-classifier")
    assertions.Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Endpoint", {"EndpointName": "image-classifier"}
    )
    stack, _ = make_endpoint()
    (endpoint,) = resources(assertions.Template.from_stack(stack), "AWS::SageMaker::Endpoint")
    assert "EndpointName" not in endpoint["Properties"]


def test_construct_ids_are_stable(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint()
    assert [c.node.id for c in endpoint.node.children] == [
        "Key",
        "ExecutionRole",
        "ExecutionPolicy",
        "Model",
        "EndpointConfig",
        "Resource",
    ]
    assert endpoint.node.default_child is endpoint.endpoint


def test_grant_invoke_allows_invoke_endpoint_on_this_endpoint_only(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint()
    caller = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    grant = endpoint.grant_invoke(caller)
    assert grant.success
    template = assertions.Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": stack.get_logical_id(caller.node.default_child)}],  # type: ignore[arg-type]
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "sagemaker:InvokeEndpoint",
                        "Effect": "Allow",
                        "Resource": {"Ref": stack.get_logical_id(endpoint.endpoint)},
                    }
                ]
            },
        },
    )


@pytest.mark.parametrize(
    ("method", "metric_name", "statistic"),
    [
        ("metric_invocations", "Invocations", "Sum"),
        ("metric_invocations_per_instance", "InvocationsPerInstance", "Sum"),
        ("metric_model_latency", "ModelLatency", "Average"),
        ("metric_invocation_4xx_errors", "Invocation4XXErrors", "Sum"),
        ("metric_invocation_5xx_errors", "Invocation5XXErrors", "Sum"),
    ],
)
def test_metric_helpers(make_endpoint: EndpointFactory, method: str, metric_name: str, statistic: str) -> None:
    stack, endpoint = make_endpoint(variants=[variant("Blue"), variant("Green")])
    metric = getattr(endpoint, method)(variant_name="Green")
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/SageMaker", metric_name, statistic)
    assert stack.resolve(metric.dimensions) == {
        "EndpointName": {"Fn::GetAtt": [stack.get_logical_id(endpoint.endpoint), "EndpointName"]},
        "VariantName": "Green",
    }


def test_metric_of_a_single_variant_endpoint_needs_no_variant_name(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint()
    assert (endpoint.metric_invocations().dimensions or {})["VariantName"] == "AllTraffic"


def test_metric_of_an_unknown_variant_is_refused(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint(variants=[variant("Blue"), variant("Green")])
    with pytest.raises(ValueError, match=r"variant_name: expected one of \['Blue', 'Green'\], got None"):
        endpoint.metric_invocations()


@pytest.mark.parametrize("env", ENV_NAMES)
def test_one_ei_retirement_warning_per_endpoint(environment_stacks: dict[str, cdk.Stack], env: str) -> None:
    annotations = assertions.Annotations.from_stack(environment_stacks[env])
    warnings = annotations.find_warning(
        "*", assertions.Match.string_like_regexp("Elastic Inference is no longer available")
    )
    assert len(warnings) == len(ENVIRONMENTS[env].endpoints)
    assert all(w.id.endswith("/ImageClassifier") for w in warnings)
    assert WARNING_EI_RETIRED in str(warnings[0].entry.data)


def test_ei_warning_can_be_acknowledged_by_its_id(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint()
    cdk.Annotations.of(endpoint).acknowledge_warning(WARNING_EI_RETIRED, "we know")
    assert assertions.Annotations.from_stack(stack).find_warning("*", assertions.Match.any_value()) == []


def test_cdk_validation_of_accelerator_type_is_acknowledged_on_the_endpoint_config_only(
    environment_stacks: dict[str, cdk.Stack],
) -> None:
    # environment_stacks synthesized with validateAgainstDefaultRules=true and validation on:
    # reaching here means F3002 did not fail synth. Now show that without the acknowledgment it would.
    assert cdk_json_context()["@aws-cdk/core:validateAgainstDefaultRules"] is True
    app = cdk.App(context=cdk_json_context())
    stack = cdk.Stack(app, "Bare", env=cdk.Environment(account="123456789012", region="us-east-1"))
    sagemaker.CfnEndpointConfig(
        stack,
        "Config",
        production_variants=[
            sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name="A",
                model_name="m",
                instance_type="ml.m5.large",
                initial_instance_count=1,
                accelerator_type=AcceleratorType.EIA2_MEDIUM.name,
            )
        ],
    )
    with pytest.raises(RuntimeError, match="F3002"):
        app.synth()
    for env_stack in environment_stacks.values():
        acknowledged = [
            child.node.path
            for child in env_stack.node.find_all()
            if any("CloudFormation-Validate::F3002" in str(m.data) for m in child.node.metadata)
        ]
        assert acknowledged == [f"{env_stack.stack_name}/ImageClassifier/EndpointConfig"]


def test_the_constructs_keyword_arguments_are_exactly_its_props() -> None:
    import inspect

    from sagemaker_ei_endpoint import EIEndpoint
    from sagemaker_ei_endpoint.plan import PROP_NAMES

    parameters = inspect.signature(EIEndpoint.__init__).parameters
    keywords = {n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert keywords == PROP_NAMES
