"""One environment's stack: its EI endpoints (or their successors) and their outputs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_ei_endpoint import EIEndpoint, EndpointDashboard, ModelData
from sagemaker_ei_endpoint.key_policy import administered_key_policy

from .environments import EndpointSettings, Environment
from .smoke_test import SmokeTestTrust, add_smoke_test_role


class EndpointStack(cdk.Stack):
    """The EIEndpoints of one environment, with each endpoint's name and ARN as outputs, and their dashboard."""

    def __init__(
        self,
        scope: Construct,
        environment: Environment,
        *,
        env: cdk.Environment | None = None,
        smoke_test: SmokeTestTrust | None = None,
    ) -> None:
        super().__init__(
            scope,
            environment.stack_name,
            # Explicit, so the stack keeps its name inside a pipeline Stage too.
            stack_name=environment.stack_name,
            env=env,
            description=f"SageMaker endpoints with Elastic Inference accelerators ({environment.name})",
        )
        self.environment_config = environment
        self.alarm_topic = self._alarm_topic() if any(e.deployment for e in environment.endpoints) else None
        self.endpoints = {settings.construct_id: self._endpoint(settings) for settings in environment.endpoints}
        # Invocations, errors, latency and utilization per endpoint and variant, and the rollback alarms' state.
        self.dashboard = (
            EndpointDashboard(self, "Dashboard", endpoints=list(self.endpoints.values()))
            if environment.dashboard
            else None
        )
        # Only the pipeline's stages (or -c smoke_test_role=true) get the smoke-test role.
        endpoint_arns = [e.endpoint_arn for e in self.endpoints.values()]
        self.smoke_test_role_arn = add_smoke_test_role(self, smoke_test, endpoint_arns) if smoke_test else None
        for key, value in environment.tags.items():
            cdk.Tags.of(self).add(key, value)

    def _alarm_topic(self) -> sns.Topic:
        """Where the endpoints' rollback alarms notify: subscribe your on-call channel to it.

        A topic policy replaces SNS's default one, so CloudWatch needs its own Allow to publish, and
        to an encrypted topic kms:Decrypt and kms:GenerateDataKey* on its key (Amazon SNS developer
        guide, "Enable compatibility between event sources from AWS services and encrypted topics",
        https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
        Both grants are limited to this account's alarms of this stack (CloudFormation names them
        <stack name>-<logical id>-<suffix>), against the confused deputy (IAM user guide, "The confused
        deputy problem", https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
        """
        cloudwatch = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        alarms = f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:{self.stack_name}-*"
        conditions = {"StringEquals": {"aws:SourceAccount": self.account}, "ArnLike": {"aws:SourceArn": alarms}}
        # Administration apart from use (as the endpoint's key): the account's principals use it only
        # through SNS; CloudWatch directly, for this stack's alarms only.
        publish = iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish",
            principals=[cloudwatch],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions=conditions,
        )
        key = kms.Key(
            self,
            "AlarmTopicKey",
            enable_key_rotation=True,
            description="SageMaker endpoint alarm topic",
            policy=administered_key_policy(self, use_via=("sns",), sid="UseThroughSns", extra=[publish]),
        )
        topic = sns.Topic(self, "AlarmTopic", master_key=key, enforce_ssl=True)
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[cloudwatch], actions=["sns:Publish"], resources=[topic.topic_arn], conditions=conditions
            )
        )
        return topic

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
            successor_family=self.environment_config.successor_family,
            successor_image=settings.successor_image,
            image_runs_unchanged_on_successor=settings.image_runs_unchanged_on_successor,
            neuron_model=settings.neuron_model,
            data_capture=settings.data_capture,
            deployment=settings.deployment,
            alarm_topic=self.alarm_topic,
        )
        # Output IDs are what the invoke client and pipelines read: keep them readable, not hashed.
        for attribute, value in (("EndpointName", endpoint.endpoint_name), ("EndpointArn", endpoint.endpoint_arn)):
            output = cdk.CfnOutput(endpoint, attribute, value=value)
            output.override_logical_id(f"{settings.construct_id}{attribute}")
        return endpoint
