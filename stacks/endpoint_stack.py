"""One environment's stack: its EI endpoints (or their successors) and their outputs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sagemaker_ei_endpoint import EIEndpoint, ModelData

from .environments import EndpointSettings, Environment


class EndpointStack(cdk.Stack):
    """The EIEndpoints of one environment, with each endpoint's name and ARN as outputs."""

    def __init__(self, scope: Construct, environment: Environment, *, env: cdk.Environment | None = None) -> None:
        super().__init__(
            scope,
            environment.stack_name,
            env=env,
            description=f"SageMaker endpoints with Elastic Inference accelerators ({environment.name})",
        )
        self.environment_config = environment
        self.endpoints = {settings.construct_id: self._endpoint(settings) for settings in environment.endpoints}
        for key, value in environment.tags.items():
            cdk.Tags.of(self).add(key, value)

    def _endpoint(self, settings: EndpointSettings) -> EIEndpoint:
        model_data = None
        if settings.model_artifact is not None:
            bucket = s3.Bucket.from_bucket_name(
                self, f"{settings.construct_id}ModelBucket", settings.model_artifact.bucket_name
            )
            model_data = ModelData.from_bucket(bucket, settings.model_artifact.key)
        endpoint = EIEndpoint(
            self,
            settings.construct_id,
            image=settings.image,
            variants=settings.variants,
            model_data=model_data,
            environment=settings.container_environment or None,
            accelerator_mode=self.environment_config.accelerator_mode,
            successor_image=settings.successor_image,
            image_runs_unchanged_on_successor=settings.image_runs_unchanged_on_successor,
        )
        # Output IDs are what the invoke client and pipelines read: keep them readable, not hashed.
        for attribute, value in (("EndpointName", endpoint.endpoint_name), ("EndpointArn", endpoint.endpoint_arn)):
            output = cdk.CfnOutput(endpoint, attribute, value=value)
            output.override_logical_id(f"{settings.construct_id}{attribute}")
        return endpoint
