"""Each image source of the AWS guide yields the right image, and the role may pull only what it needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_ecr as ecr

from sagemaker_ei_endpoint import BuiltinAlgorithm, ContainerImage, EIFramework
from sagemaker_ei_endpoint.images import ECR_PULL_ACTIONS
from tests.conftest import ROOT, EndpointFactory, new_stack

CATALOG = json.loads((ROOT / "constructs/src/sagemaker_ei_endpoint/data/image_catalog.json").read_text())


def model_image(stack: cdk.Stack) -> Any:
    (model,) = assertions.Template.from_stack(stack).find_resources("AWS::SageMaker::Model").values()
    return model["Properties"]["PrimaryContainer"]["Image"]


def pull_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    policies = assertions.Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    return [s for s in statements if "ecr:BatchGetImage" in s["Action"]]


@pytest.mark.parametrize(
    ("framework", "version", "image"),
    [
        (
            EIFramework.TENSORFLOW,
            "2.3",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference-eia:2.3.0-cpu",
        ),
        (
            EIFramework.TENSORFLOW,
            "1.15.0",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-inference-eia:1.15.0-cpu",
        ),
        (EIFramework.MXNET, "1.7.0", "763104351884.dkr.ecr.us-east-1.amazonaws.com/mxnet-inference-eia:1.7.0-cpu-py3"),
        (
            EIFramework.PYTORCH,
            "1.5",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference-eia:1.5.1-cpu-py3",
        ),
    ],
)
def test_prebuilt_ei_framework_image_is_resolved_for_the_stack_region(
    make_endpoint: EndpointFactory, framework: EIFramework, version: str, image: str
) -> None:
    stack, endpoint = make_endpoint(image=ContainerImage.from_ei_framework(framework, version))
    assert model_image(stack) == image
    assert endpoint.image_uri == image
    assert pull_statements(stack) == []  # AWS's own registries: SageMaker pulls them itself


def test_every_generated_region_of_an_image_resolves_to_its_own_account(make_endpoint: EndpointFactory) -> None:
    registries = CATALOG["frameworks"]["mxnet"]["eia"]["versions"]["1.7.0"]["registries"]
    for region in ("eu-west-1", "ap-east-1", "cn-north-1"):
        _, endpoint = make_endpoint(region=region, image=ContainerImage.from_ei_framework(EIFramework.MXNET, "1.7"))
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        assert endpoint.image_uri == f"{registries[region]}.dkr.ecr.{region}.{suffix}/mxnet-inference-eia:1.7.0-cpu-py3"


def test_environment_agnostic_stack_gets_a_region_keyed_mapping(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(region=None)
    template = assertions.Template.from_stack(stack).to_json()
    mapping = template["Mappings"]["TensorflowInferenceEia230CpuRegistries"]
    expected = CATALOG["frameworks"]["tensorflow"]["eia"]["versions"]["2.3.0"]["registries"]
    assert mapping == {region: {"account": account} for region, account in expected.items()}
    assert len(mapping) == 35
    assert model_image(stack) == {
        "Fn::Join": [
            "",
            [
                {"Fn::FindInMap": ["TensorflowInferenceEia230CpuRegistries", {"Ref": "AWS::Region"}, "account"]},
                ".dkr.ecr.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/tensorflow-inference-eia:2.3.0-cpu",
            ],
        ]
    }


def test_endpoints_sharing_an_image_share_one_mapping(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(region=None)
    make_endpoint(
        stack=stack, construct_id="Second", image=ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.3.0")
    )
    assert len(assertions.Template.from_stack(stack).to_json()["Mappings"]) == 1


@pytest.mark.parametrize(
    ("algorithm", "repository"),
    [
        (BuiltinAlgorithm.IMAGE_CLASSIFICATION, "image-classification"),
        (BuiltinAlgorithm.OBJECT_DETECTION, "object-detection"),
    ],
)
def test_builtin_algorithm_image_by_region(
    make_endpoint: EndpointFactory, algorithm: BuiltinAlgorithm, repository: str
) -> None:
    _, endpoint = make_endpoint(region="eu-west-1", image=ContainerImage.from_builtin_algorithm(algorithm))
    assert endpoint.image_uri == f"685385470294.dkr.ecr.eu-west-1.amazonaws.com/{repository}:1"


def test_builtin_algorithm_in_an_agnostic_stack_uses_its_own_mapping(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(
        region=None, image=ContainerImage.from_builtin_algorithm(BuiltinAlgorithm.OBJECT_DETECTION)
    )
    mappings = assertions.Template.from_stack(stack).to_json()["Mappings"]
    assert list(mappings) == ["ObjectDetection1Registries"]
    assert mappings["ObjectDetection1Registries"]["eu-west-1"] == {"account": "685385470294"}


def test_own_ecr_repository_is_pulled_with_repository_scoped_rights(make_endpoint: EndpointFactory) -> None:
    stack = new_stack()
    repository = ecr.Repository.from_repository_name(stack, "Repo", "my-ei-model")
    _, endpoint = make_endpoint(stack=stack, image=ContainerImage.from_ecr_repository(repository, "v7"))
    assert stack.resolve(endpoint.image_uri) == {
        "Fn::Join": ["", ["123456789012.dkr.ecr.us-east-1.", {"Ref": "AWS::URLSuffix"}, "/my-ei-model:v7"]]
    }
    (statement,) = pull_statements(stack)
    assert sorted(statement["Action"]) == sorted(ECR_PULL_ACTIONS)
    assert statement["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/my-ei-model"


def test_local_dockerfile_becomes_an_image_asset(make_endpoint: EndpointFactory, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.11-slim\n")
    stack, endpoint = make_endpoint(image=ContainerImage.from_asset(str(tmp_path)))
    image = stack.resolve(endpoint.image_uri)
    assert "cdk-hnb659fds-container-assets-123456789012-us-east-1" in json.dumps(image)
    (statement,) = pull_statements(stack)
    assert "container-assets" in json.dumps(statement["Resource"])


def test_any_image_uri_is_used_as_given_with_no_pull_rights(make_endpoint: EndpointFactory) -> None:
    uri = "public.ecr.aws/example/ei-model:1.0"
    stack, _endpoint = make_endpoint(image=ContainerImage.from_registry(uri))
    assert model_image(stack) == uri
    assert pull_statements(stack) == []
