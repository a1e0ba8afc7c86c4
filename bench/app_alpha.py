"""The same endpoints with the aws-sagemaker-alpha L2: Model, EndpointConfig and Endpoint.

Two role setups. As a user writes it (`build_scale_default_role`): no `role`, so the L2 creates one
with the AmazonSageMakerFullAccess managed policy; this is what issue 13's per-endpoint target is
judged against. With a role we bring (`build_scale`, `build_environments`): our construct's base
statement, so both grant the same. The model data and image are the L2's own sources,
`ModelData.from_bucket` and `ContainerImage.from_dlc`, which grant their own reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker_alpha as sagemaker
from constructs import Construct

from bench.common import (
    ACKNOWLEDGE_REASON,
    BASE_ACTIONS,
    CFN_VALIDATE_ACCELERATOR,
    ENDPOINT_ID,
    ENVIRONMENT_SPECS,
    MODEL_KEY,
    ROLE_DESCRIPTION,
    SCALE_ACCOUNT,
    SCALE_BUCKET,
    SCALE_REGION,
    SCALE_STACK,
    SCALE_VARIANTS,
    VariantSpec,
    tensorflow_ei_image,
)


def _image(stack: cdk.Stack) -> sagemaker.ContainerImage:
    """The TensorFlow 2.3 EI image from its regional registry, as EIEndpoint resolves it."""
    image = tensorflow_ei_image()
    if not cdk.Token.is_unresolved(stack.region):
        return sagemaker.ContainerImage.from_dlc(image.repository, image.tag, image.registries[stack.region])
    existing = stack.node.try_find_child(image.mapping_id)
    mapping = (
        existing
        if isinstance(existing, cdk.CfnMapping)
        else cdk.CfnMapping(
            stack,
            image.mapping_id,
            mapping={region: {"account": account} for region, account in image.registries.items()},
        )
    )
    return sagemaker.ContainerImage.from_dlc(
        image.repository, image.tag, mapping.find_in_map(cdk.Aws.REGION, "account")
    )


def alpha_endpoint(
    scope: Construct,
    construct_id: str,
    *,
    image: sagemaker.ContainerImage,
    bucket: s3.IBucket,
    key: str,
    variants: Sequence[VariantSpec],
    own_role: bool = True,
) -> sagemaker.Endpoint:
    """``own_role``: bring a role with EIEndpoint's base statement; False: the L2's default role."""
    group = Construct(scope, construct_id)
    role = None
    if own_role:
        role = iam.Role(
            group,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=ROLE_DESCRIPTION,
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=list(BASE_ACTIONS), resources=["*"]))
    model = sagemaker.Model(
        group,
        "Model",
        role=role,
        containers=[
            sagemaker.ContainerDefinition(image=image, model_data=sagemaker.ModelData.from_bucket(bucket, key))
        ],
    )
    config = sagemaker.EndpointConfig(
        group,
        "EndpointConfig",
        instance_production_variants=[
            sagemaker.InstanceProductionVariantProps(
                model=model,
                variant_name=v.name,
                instance_type=sagemaker.InstanceType.of(v.instance_type),
                accelerator_type=sagemaker.AcceleratorType.of(v.accelerator),
                initial_instance_count=v.count,
                initial_variant_weight=v.weight,
            )
            for v in variants
        ],
    )
    cdk.Validations.of(config).acknowledge(cdk.Acknowledgment(id=CFN_VALIDATE_ACCELERATOR, reason=ACKNOWLEDGE_REASON))
    endpoint = sagemaker.Endpoint(group, "Endpoint", endpoint_config=config)
    for attribute, value in (("EndpointName", endpoint.endpoint_name), ("EndpointArn", endpoint.endpoint_arn)):
        cdk.CfnOutput(group, attribute, value=value).override_logical_id(f"{construct_id}{attribute}")
    return endpoint


def build_environments(app: cdk.App, n: int) -> None:
    for spec in ENVIRONMENT_SPECS:
        stack = cdk.Stack(
            app,
            spec.stack_name,
            env=cdk.Environment(account=spec.account, region=spec.region),
            description=spec.description,
        )
        bucket = s3.Bucket.from_bucket_name(stack, f"{ENDPOINT_ID}ModelBucket", spec.bucket_name)
        alpha_endpoint(stack, ENDPOINT_ID, image=_image(stack), bucket=bucket, key=MODEL_KEY, variants=spec.variants)
        for key, value in spec.tags.items():
            cdk.Tags.of(stack).add(key, value)


def build_scale(app: cdk.App, n: int, *, own_role: bool = True) -> None:
    stack = cdk.Stack(app, SCALE_STACK, env=cdk.Environment(account=SCALE_ACCOUNT, region=SCALE_REGION))
    bucket = s3.Bucket.from_bucket_name(stack, "ModelBucket", SCALE_BUCKET)
    image = _image(stack)
    for index in range(n):
        construct_id = f"Endpoint{index}"
        alpha_endpoint(
            stack,
            construct_id,
            image=image,
            bucket=bucket,
            key=f"{construct_id}/{MODEL_KEY}",
            variants=SCALE_VARIANTS,
            own_role=own_role,
        )


def build_scale_default_role(app: cdk.App, n: int) -> None:
    """N endpoints as a user writes them with the L2: no role given, the L2 creates its default."""
    build_scale(app, n, own_role=False)
