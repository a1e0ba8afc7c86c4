"""The EIEndpoint construct: Model -> EndpointConfig (EI on every variant) -> Endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from .execution_role import create_execution_role
from .images import ContainerImage
from .model_data import ModelData
from .successor import AcceleratorMode, plan_successor
from .validation import EIEndpointPropsError, is_accelerated_instance, validate_endpoint_props
from .variants import ProductionVariant

WARNING_EI_RETIRED = "sagemaker-ei-endpoint:elasticInferenceRetired"
WARNING_ACCELERATED_INSTANCE = "sagemaker-ei-endpoint:acceleratorOnAcceleratedInstance"
WARNING_SUCCESSOR = "sagemaker-ei-endpoint:successorMapping"
SUCCESSOR_METADATA = "sagemaker-ei-endpoint:successor"
CFN_VALIDATE_ACCELERATOR = "CloudFormation-Validate::F3002"


class EIEndpoint(Construct):
    """A SageMaker real-time endpoint with an Elastic Inference accelerator on every variant.

    Emits ``AWS::SageMaker::Model``, ``AWS::SageMaker::EndpointConfig`` with ``AcceleratorType``
    on each production variant, and ``AWS::SageMaker::Endpoint``. The model and endpoint
    config are never given fixed names, so CloudFormation can replace them on change.

    Elastic Inference is retired by AWS: the construct warns once per endpoint
    (acknowledge with ``Annotations.of(endpoint).acknowledge_warning(WARNING_EI_RETIRED)``).

    :param image: the inference container image.
    :param variants: 1 to 10 production variants, each with its accelerator.
    :param model_data: the model artifact. Default: none, the image carries the model.
    :param environment: environment variables of the container. Default: none.
    :param role: the execution role. Default: a role is created that can only write logs and
        metrics, read the model artifact and pull the image.
    :param endpoint_name: Default: CloudFormation generates a name.
    :param accelerator_mode: Default: ``AcceleratorMode.ELASTIC_INFERENCE``, AcceleratorType on every
        variant. ``AcceleratorMode.SUCCESSOR`` deploys each variant on its successor instance
        instead (see ``successor.py``) with no AcceleratorType, and warns what was mapped to what.
    :param successor_image: the image in successor mode. Default: a prebuilt EI framework image
        becomes the same framework's standard inference image at the same version; a built-in
        algorithm image stays; your own image must be given here or declared unchanged.
    :param image_runs_unchanged_on_successor: your own image runs as it is on the successor
        instances. Default: False.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage,
        variants: Sequence[ProductionVariant],
        model_data: ModelData | None = None,
        environment: Mapping[str, str] | None = None,
        role: iam.IRole | None = None,
        endpoint_name: str | None = None,
        accelerator_mode: AcceleratorMode = AcceleratorMode.ELASTIC_INFERENCE,
        successor_image: ContainerImage | None = None,
        image_runs_unchanged_on_successor: bool = False,
    ) -> None:
        problems = validate_endpoint_props(variants=variants, endpoint_name=endpoint_name)
        successor = None
        if accelerator_mode is AcceleratorMode.SUCCESSOR and not problems:
            successor, successor_problems = plan_successor(
                variants=variants,
                image=image,
                successor_image=successor_image,
                image_runs_unchanged=image_runs_unchanged_on_successor,
            )
            problems += successor_problems
        deployed_image = successor.image if successor else image
        problems += deployed_image.problems(cdk.Stack.of(scope))
        if problems:
            raise EIEndpointPropsError(problems)
        super().__init__(scope, construct_id)
        self.accelerator_mode = accelerator_mode
        self.variants = tuple(variants)
        self.deployed_instance_types = (
            successor.instance_types if successor else tuple(v.instance_type for v in variants)
        )
        self.role: iam.IRole = role or create_execution_role(self, "ExecutionRole")
        self.image_uri = deployed_image.bind(self, self.role)
        self.model_data_url = model_data.bind(self, self.role) if model_data else None

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=self.image_uri,
                model_data_url=self.model_data_url,
                environment=dict(sorted(environment.items())) if environment else None,
            ),
        )
        # CreateModel checks the role's access right away, so its policies must exist first.
        # (The role itself is already a dependency through ExecutionRoleArn.)
        for child in self.role.node.find_all():
            if isinstance(child, cdk.CfnResource) and child.cfn_resource_type == "AWS::IAM::Policy":
                self.model.add_dependency(child)

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=v.variant_name,
                    model_name=self.model.attr_model_name,
                    instance_type=instance_type,
                    initial_instance_count=v.initial_instance_count,
                    initial_variant_weight=v.initial_variant_weight,
                    accelerator_type=None if successor else v.accelerator_type.name,
                )
                for v, instance_type in zip(self.variants, self.deployed_instance_types, strict=True)
            ],
        )
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
        )
        self.endpoint_name: str = self.endpoint.attr_endpoint_name
        # Ref of AWS::SageMaker::Endpoint is its ARN.
        self.endpoint_arn: str = self.endpoint.ref
        if successor:
            self._annotate_successor(image, deployed_image)
        else:
            self._annotate_elastic_inference()

    def _annotate_successor(self, ei_image: ContainerImage, successor_image: ContainerImage) -> None:
        mapping = [
            {
                "variant": v.variant_name,
                "from": f"{v.instance_type} + {v.accelerator_type}",
                "to": instance_type,
            }
            for v, instance_type in zip(self.variants, self.deployed_instance_types, strict=True)
        ]
        # Reviewers read the mapping from the template itself (tools/synth_summary.py prints it).
        self.endpoint_config.add_metadata(
            SUCCESSOR_METADATA,
            {"variants": mapping, "image": {"from": ei_image.label, "to": successor_image.label}},
        )
        moves = "; ".join(f"{m['variant']}: {m['from']} -> {m['to']}" for m in mapping)
        cdk.Annotations.of(self).add_warning_v2(
            WARNING_SUCCESSOR,
            f"deployed off Elastic Inference (successor mode): {moves}; image {ei_image.label} -> "
            f"{successor_image.label}. Models built for EI may need re-export for the successor: "
            "the EI-enabled frameworks were AWS's own builds.",
        )

    def _annotate_elastic_inference(self) -> None:
        cdk.Annotations.of(self).add_warning_v2(
            WARNING_EI_RETIRED,
            "Elastic Inference is no longer available on AWS: SageMaker rejects AcceleratorType and "
            "CloudFormation's schema no longer has it, so `cdk deploy` of this template to AWS is expected "
            "to fail. See the README section on moving off Elastic Inference.",
        )
        # CDK's own template check flags the same property; the warning above already says it,
        # so acknowledge it here and nowhere else.
        cdk.Validations.of(self.endpoint_config).acknowledge(
            cdk.Acknowledgment(
                id=CFN_VALIDATE_ACCELERATOR,
                reason=f"AcceleratorType is emitted on purpose; the EI retirement is reported by {WARNING_EI_RETIRED}",
            )
        )
        for index, variant in enumerate(self.variants):
            if is_accelerated_instance(variant.instance_type):
                cdk.Annotations.of(self).add_warning_v2(
                    WARNING_ACCELERATED_INSTANCE,
                    f"variants[{index}].instance_type: {variant.instance_type!r} is itself accelerated; "
                    "the AWS guide pairs Elastic Inference with CPU instance types",
                )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call sagemaker:InvokeEndpoint on this endpoint."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    def metric(
        self,
        metric_name: str,
        *,
        variant_name: str | None = None,
        statistic: str = "Sum",
        period: cdk.Duration | None = None,
    ) -> cloudwatch.Metric:
        """A metric of the AWS/SageMaker namespace for one variant.

        :param variant_name: Default: the only variant; required when there are several.
        """
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": self._variant(variant_name)},
            statistic=statistic,
            period=period,
        )

    def metric_invocations(self, *, variant_name: str | None = None) -> cloudwatch.Metric:
        return self.metric("Invocations", variant_name=variant_name)

    def metric_invocations_per_instance(self, *, variant_name: str | None = None) -> cloudwatch.Metric:
        return self.metric("InvocationsPerInstance", variant_name=variant_name)

    def metric_model_latency(self, *, variant_name: str | None = None) -> cloudwatch.Metric:
        """Model latency in microseconds, averaged."""
        return self.metric("ModelLatency", variant_name=variant_name, statistic="Average")

    def metric_invocation_4xx_errors(self, *, variant_name: str | None = None) -> cloudwatch.Metric:
        return self.metric("Invocation4XXErrors", variant_name=variant_name)

    def metric_invocation_5xx_errors(self, *, variant_name: str | None = None) -> cloudwatch.Metric:
        return self.metric("Invocation5XXErrors", variant_name=variant_name)

    def _variant(self, variant_name: str | None) -> str:
        names = [v.variant_name for v in self.variants]
        if variant_name is None and len(names) == 1:
            return names[0]
        if variant_name not in names:
            raise ValueError(f"variant_name: expected one of {names}, got {variant_name!r}")
        return variant_name
