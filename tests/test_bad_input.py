"""Bad input is refused at construction, naming the field and showing the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from aws_cdk import aws_s3 as s3

from sagemaker_ei_endpoint import (
    WARNING_ACCELERATED_INSTANCE,
    ContainerImage,
    EIEndpointPropsError,
    EIFramework,
    ModelData,
    ServerlessConfig,
)
from sagemaker_ei_endpoint.tokens import is_known
from tests.conftest import EndpointFactory, new_stack, variant


def refused(make_endpoint: EndpointFactory, *, region: str = "us-east-1", **props: Any) -> str:
    """The error message, after checking that nothing at all was added to the stack."""
    stack = new_stack(region=region)
    with pytest.raises(EIEndpointPropsError) as error:
        make_endpoint(stack=stack, **props)
    assert stack.node.children == []
    return str(error.value)


def test_zero_variants_are_refused(make_endpoint: EndpointFactory) -> None:
    assert "variants: expected 1 to 10 production variants, got 0" in refused(make_endpoint, variants=[])


def test_eleven_variants_are_refused(make_endpoint: EndpointFactory) -> None:
    variants = [variant(f"V{i}") for i in range(11)]
    assert "variants: expected 1 to 10 production variants, got 11" in refused(make_endpoint, variants=variants)


def test_ten_variants_are_accepted(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(variants=[variant(f"V{i}") for i in range(10)])
    config = assertions.Template.from_stack(stack).find_resources("AWS::SageMaker::EndpointConfig")
    (resource,) = config.values()
    assert len(resource["Properties"]["ProductionVariants"]) == 10


def test_duplicate_variant_names_are_refused(make_endpoint: EndpointFactory) -> None:
    message = refused(make_endpoint, variants=[variant("Blue"), variant("Green"), variant("Blue")])
    assert "variants[2].variant_name: duplicate name 'Blue'" in message


def test_instance_count_below_one_is_refused(make_endpoint: EndpointFactory) -> None:
    message = refused(make_endpoint, variants=[variant(initial_instance_count=0)])
    assert "variants[0].initial_instance_count: must be an integer of at least 1, got 0" in message


def test_negative_weight_is_refused(make_endpoint: EndpointFactory) -> None:
    message = refused(make_endpoint, variants=[variant("A"), variant("B", initial_variant_weight=-0.5)])
    assert "variants[1].initial_variant_weight: must be a finite number, not negative, got -0.5" in message


def test_all_weights_zero_is_refused(make_endpoint: EndpointFactory) -> None:
    variants = [variant("A", initial_variant_weight=0), variant("B", initial_variant_weight=0.0)]
    assert "variants: every initial_variant_weight is 0 ([0, 0.0])" in refused(make_endpoint, variants=variants)


def test_one_zero_weight_beside_a_positive_one_is_accepted(make_endpoint: EndpointFactory) -> None:
    make_endpoint(variants=[variant("A", initial_variant_weight=0), variant("B")])


def test_accelerator_on_a_serverless_variant_is_refused(make_endpoint: EndpointFactory) -> None:
    serverless = ServerlessConfig(memory_size_in_mb=2048, max_concurrency=5)
    message = refused(make_endpoint, variants=[variant(serverless_config=serverless)])
    assert (
        "variants[0].serverless_config: a serverless variant cannot carry an Elastic Inference accelerator" in message
    )
    assert "accelerator_type='ml.eia2.medium'" in message


def test_accelerator_given_as_a_plain_string_is_refused(make_endpoint: EndpointFactory) -> None:
    message = refused(make_endpoint, variants=[variant(accelerator_type="ml.eia2.medium")])
    assert "variants[0].accelerator_type: expected an AcceleratorType" in message
    assert "'ml.eia2.medium'" in message


@pytest.mark.parametrize(
    ("field", "props", "shown"),
    [
        ("variants[0].variant_name", {"variant_name": "all traffic"}, "'all traffic'"),
        ("variants[0].instance_type", {"instance_type": "m5.large"}, "'m5.large'"),
    ],
)
def test_malformed_names_are_refused(
    make_endpoint: EndpointFactory, field: str, props: dict[str, Any], shown: str
) -> None:
    message = refused(make_endpoint, variants=[variant(**props)])
    assert message.count(field) == 1
    assert shown in message


def test_malformed_endpoint_name_is_refused(make_endpoint: EndpointFactory) -> None:
    assert "endpoint_name: must match" in refused(make_endpoint, endpoint_name="my_endpoint")


def test_every_problem_is_reported_at_once(make_endpoint: EndpointFactory) -> None:
    message = refused(make_endpoint, variants=[variant(initial_instance_count=0, initial_variant_weight=-1)])
    assert "initial_instance_count" in message
    assert "initial_variant_weight" in message


def test_framework_version_without_an_ei_image_is_refused_with_the_versions() -> None:
    with pytest.raises(ValueError, match=r"image.version: tensorflow has no eia image at version '2.4'") as error:
        ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.4")
    assert "available: 1.10.0, 1.11.0, 1.12.0, 1.13.0, 1.14.0, 1.15.0, 2.0.0, 2.3.0" in str(error.value)


def test_region_without_an_ei_image_is_refused_with_the_region(make_endpoint: EndpointFactory) -> None:
    image = ContainerImage.from_ei_framework(EIFramework.PYTORCH, "1.5.1")
    message = refused(make_endpoint, region="af-south-1", image=image)
    assert "image: no pytorch 1.5.1 eia image in region 'af-south-1'; available in: ap-northeast-1," in message


@pytest.mark.parametrize("key", ["model/model.zip", "model.tar", "model.gz"])
def test_model_data_that_is_not_tar_gz_is_refused(key: str) -> None:
    stack = cdk.Stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Bucket", "models")
    with pytest.raises(ValueError, match=r"model_data: expected a .tar.gz file, got " + repr(key)):
        ModelData.from_bucket(bucket, key)


def test_local_model_data_that_is_not_tar_gz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.zip"
    path.write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"model_data: expected a .tar.gz file, got '.*model.zip'"):
        ModelData.from_asset(str(path))


def test_missing_local_model_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"model_data: no such file '.*missing.tar.gz'"):
        ModelData.from_asset(str(tmp_path / "missing.tar.gz"))


def test_unresolved_tokens_are_not_judged(make_endpoint: EndpointFactory) -> None:
    # Deploy-time values, e.g. CloudFormation parameters: unknown now, so no check may refuse them.
    count = cdk.Token.as_number(cdk.Fn.ref("InstanceCount"))
    name = cdk.Fn.ref("VariantName")
    stack, _ = make_endpoint(variants=[variant(name, initial_instance_count=count, initial_variant_weight=count)])
    template = assertions.Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                assertions.Match.object_like(
                    {"VariantName": {"Ref": "VariantName"}, "InitialInstanceCount": {"Ref": "InstanceCount"}}
                )
            ]
        },
    )


def test_accelerator_on_an_accelerated_instance_is_a_warning_not_an_error(make_endpoint: EndpointFactory) -> None:
    stack, _ = make_endpoint(variants=[variant(instance_type="ml.g4dn.xlarge")])
    warnings = assertions.Annotations.from_stack(stack).find_warning(
        "*", assertions.Match.string_like_regexp("itself accelerated")
    )
    assert len(warnings) == 1
    assert "'ml.g4dn.xlarge'" in str(warnings[0].entry.data)
    assert WARNING_ACCELERATED_INSTANCE in str(warnings[0].entry.data)


@pytest.mark.parametrize(
    "value",
    [
        cdk.Fn.ref("Param"),
        cdk.Token.as_number(cdk.Fn.ref("Param")),
        cdk.Aws.REGION,
        f"prefix-{cdk.Aws.ACCOUNT_ID}-suffix",
    ],
    # Fixed ids: a token's text numbers it in the order tokens were made, which differs between the
    # pytest-xdist workers that collect these tests separately.
    ids=["string", "number", "pseudo-parameter", "embedded"],
)
def test_tokens_are_recognised_as_unknown(value: object) -> None:
    assert cdk.Token.is_unresolved(value)
    assert not is_known(value)


@pytest.mark.parametrize("value", ["ml.m5.large", "AllTraffic", 3, 0, -1, 2.5, float("nan"), None, True])
def test_plain_values_are_known(value: object) -> None:
    assert is_known(value)
