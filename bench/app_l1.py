"""The same endpoints as plain L1 resources in a loop: the least the CDK can do for them.

Role, policy, model, endpoint config and endpoint are Cfn* constructs with literal properties, so
the template has the same resources, statements and dependencies as EIEndpoint's.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from bench.common import (
    ACKNOWLEDGE_REASON,
    BASE_ACTIONS,
    CFN_VALIDATE_ACCELERATOR,
    MODEL_KEY,
    ROLE_DESCRIPTION,
    SCALE_ACCOUNT,
    SCALE_BUCKET,
    SCALE_REGION,
    SCALE_STACK,
    SCALE_VARIANTS,
    tensorflow_ei_image,
)

ASSUME_ROLE_POLICY = {
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}}],
    "Version": "2012-10-17",
}


def build_scale(app: cdk.App, n: int) -> None:
    stack = cdk.Stack(app, SCALE_STACK, env=cdk.Environment(account=SCALE_ACCOUNT, region=SCALE_REGION))
    image_uri = tensorflow_ei_image().uri(SCALE_REGION)
    for index in range(n):
        construct_id = f"Endpoint{index}"
        key = f"{construct_id}/{MODEL_KEY}"
        group = Construct(stack, construct_id)
        role = iam.CfnRole(
            group, "ExecutionRole", assume_role_policy_document=ASSUME_ROLE_POLICY, description=ROLE_DESCRIPTION
        )
        policy = iam.CfnPolicy(
            group,
            "ExecutionRolePolicy",
            policy_name=f"{construct_id}ExecutionRolePolicy",
            roles=[role.ref],
            policy_document={
                "Statement": [
                    {"Action": list(BASE_ACTIONS), "Effect": "Allow", "Resource": "*"},
                    {"Action": "s3:GetObject", "Effect": "Allow", "Resource": f"arn:aws:s3:::{SCALE_BUCKET}/{key}"},
                ],
                "Version": "2012-10-17",
            },
        )
        model = sagemaker.CfnModel(
            group,
            "Model",
            execution_role_arn=role.attr_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image_uri, model_data_url=f"s3://{SCALE_BUCKET}/{key}"
            ),
        )
        model.add_dependency(policy)
        config = sagemaker.CfnEndpointConfig(
            group,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=v.name,
                    model_name=model.attr_model_name,
                    instance_type=v.instance_type,
                    initial_instance_count=v.count,
                    initial_variant_weight=v.weight,
                    accelerator_type=v.accelerator,
                )
                for v in SCALE_VARIANTS
            ],
        )
        cdk.Validations.of(config).acknowledge(
            cdk.Acknowledgment(id=CFN_VALIDATE_ACCELERATOR, reason=ACKNOWLEDGE_REASON)
        )
        endpoint = sagemaker.CfnEndpoint(group, "Resource", endpoint_config_name=config.attr_endpoint_config_name)
        for attribute, value in (("EndpointName", endpoint.attr_endpoint_name), ("EndpointArn", endpoint.ref)):
            cdk.CfnOutput(group, attribute, value=value).override_logical_id(f"{construct_id}{attribute}")
