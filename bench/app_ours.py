"""This project: the environment stacks of app.py, and N EIEndpoints in one stack."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from bench.common import MODEL_KEY, SCALE_ACCOUNT, SCALE_BUCKET, SCALE_REGION, SCALE_STACK, SCALE_VARIANTS
from sagemaker_ei_endpoint import AcceleratorType, ContainerImage, EIEndpoint, EIFramework, ModelData, ProductionVariant
from stacks.app_builder import build_app


def build_environments(app: cdk.App, n: int) -> None:
    """What `python3 app.py` builds, with no CDK_DEFAULT_ACCOUNT/REGION (dev is environment-agnostic)."""
    build_app(app, process_env={})


def build_scale(app: cdk.App, n: int) -> None:
    stack = cdk.Stack(app, SCALE_STACK, env=cdk.Environment(account=SCALE_ACCOUNT, region=SCALE_REGION))
    bucket = s3.Bucket.from_bucket_name(stack, "ModelBucket", SCALE_BUCKET)
    image = ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.3")
    variants = [
        ProductionVariant(
            variant_name=v.name,
            instance_type=v.instance_type,
            accelerator_type=AcceleratorType.of(v.accelerator),
            initial_instance_count=v.count,
            initial_variant_weight=v.weight,
        )
        for v in SCALE_VARIANTS
    ]
    for index in range(n):
        construct_id = f"Endpoint{index}"
        endpoint = EIEndpoint(
            stack,
            construct_id,
            image=image,
            model_data=ModelData.from_bucket(bucket, f"{construct_id}/{MODEL_KEY}"),
            variants=variants,
        )
        # The outputs stacks/endpoint_stack.py adds to every endpoint.
        for attribute, value in (("EndpointName", endpoint.endpoint_name), ("EndpointArn", endpoint.endpoint_arn)):
            cdk.CfnOutput(endpoint, attribute, value=value).override_logical_id(f"{construct_id}{attribute}")
