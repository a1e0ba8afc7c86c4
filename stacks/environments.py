"""dev, staging and prod: typed, checked-in configuration of what each environment runs.

Edit this file to change an environment; the stacks only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aws_cdk as cdk

from sagemaker_ei_endpoint import (
    AcceleratorMode,
    AcceleratorType,
    BuiltinAlgorithm,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    EIFramework,
    NeuronModel,
    ProductionVariant,
    SuccessorFamily,
    TrafficShift,
    VariantAutoscaling,
)


@dataclass(frozen=True, kw_only=True)
class ModelArtifact:
    """A model.tar.gz that already sits in S3."""

    bucket_name: str
    key: str


@dataclass(frozen=True, kw_only=True)
class EndpointSettings:
    """One EIEndpoint of an environment; ``construct_id`` is a stable public contract."""

    construct_id: str
    image: ContainerImage
    variants: tuple[ProductionVariant, ...]
    model_artifact: ModelArtifact | None = None
    container_environment: Mapping[str, str] = field(default_factory=dict)
    successor_image: ContainerImage | None = None
    image_runs_unchanged_on_successor: bool = False
    data_capture: DataCapture | None = None
    deployment: DeploymentGuardrails | None = None
    neuron_model: NeuronModel | None = None


@dataclass(frozen=True, kw_only=True)
class Environment:
    """Where an environment deploys and what it runs.

    ``account``/``region`` of None mean "the CLI's current account/region"
    (CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION); when those are unset too, the stack is
    environment-agnostic and image accounts come from a region-keyed mapping.
    ``accelerator_mode`` says whether the endpoints carry EI accelerators or deploy their
    successors; ``-c accelerator_mode=successor`` overrides it for every environment, and
    ``successor_family`` (``-c successor_family=...``) picks what the successors are.
    ``pipeline_stage_account`` is where the delivery pipeline deploys an environment whose
    ``account`` is None (dev follows the CLI's account for direct deploys, but never lands in the
    pipeline's tooling account).
    ``dashboard`` adds a CloudWatch dashboard of the endpoints (``-c dashboard=false`` turns it off
    for every environment).
    dev keeps the construct's cheap secure defaults (KMS-encrypted storage, network isolation);
    staging and prod add data capture, autoscaling and guarded blue/green deployments, whose
    alarms notify the stack's alarm topic.
    """

    name: str
    account: str | None
    region: str | None
    endpoints: tuple[EndpointSettings, ...]
    accelerator_mode: AcceleratorMode = AcceleratorMode.ELASTIC_INFERENCE
    successor_family: SuccessorFamily = SuccessorFamily.GPU
    tags: Mapping[str, str] = field(default_factory=dict)
    pipeline_stage_account: str | None = None
    dashboard: bool = True

    @property
    def stack_name(self) -> str:
        return f"SageMakerEI-{self.name}"

    @property
    def stage_account(self) -> str | None:
        """The account the delivery pipeline deploys this environment to."""
        return self.account or self.pipeline_stage_account


TENSORFLOW_EI = ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.3")


def image_classifier(
    env_name: str,
    *variants: ProductionVariant,
    data_capture: DataCapture | None = None,
    deployment: DeploymentGuardrails | None = None,
) -> EndpointSettings:
    """The image classifier every environment runs, from its own environment's model bucket."""
    return EndpointSettings(
        construct_id="ImageClassifier",
        image=TENSORFLOW_EI,
        model_artifact=ModelArtifact(bucket_name=f"example-ml-models-{env_name}", key="image-classifier/model.tar.gz"),
        variants=variants,
        data_capture=data_capture,
        deployment=deployment,
    )


def object_detector(env_name: str, *variants: ProductionVariant) -> EndpointSettings:
    """The seed's second model: SageMaker's built-in Object Detection algorithm, trained into the model bucket."""
    return EndpointSettings(
        construct_id="ObjectDetector",
        image=ContainerImage.from_builtin_algorithm(BuiltinAlgorithm.OBJECT_DETECTION),
        model_artifact=ModelArtifact(bucket_name=f"example-ml-models-{env_name}", key="object-detector/model.tar.gz"),
        variants=variants,
    )


def project_tags(env_name: str) -> dict[str, str]:
    return {"Environment": env_name, "Project": "sagemaker-ei-endpoint"}


DEV = Environment(
    name="dev",
    account=None,
    region=None,
    endpoints=(
        image_classifier(
            "dev",
            ProductionVariant(
                variant_name="AllTraffic", instance_type="ml.m5.large", accelerator_type=AcceleratorType.EIA2_MEDIUM
            ),
        ),
        # A second endpoint, so every tool is exercised with two endpoints (and two AllTraffic variants) in one stack.
        object_detector(
            "dev",
            ProductionVariant(
                variant_name="AllTraffic", instance_type="ml.m5.large", accelerator_type=AcceleratorType.EIA2_MEDIUM
            ),
        ),
    ),
    accelerator_mode=AcceleratorMode.ELASTIC_INFERENCE,
    tags=project_tags("dev"),
    # The pipeline's dev stage: a workload account of its own, not the tooling account.
    pipeline_stage_account="555555555555",
)

STAGING = Environment(
    name="staging",
    account="111111111111",
    region="us-west-2",
    endpoints=(
        image_classifier(
            "staging",
            ProductionVariant(
                variant_name="AllTraffic",
                instance_type="ml.c5.xlarge",
                accelerator_type=AcceleratorType.EIA2_MEDIUM,
                initial_instance_count=2,
                autoscaling=VariantAutoscaling(
                    min_instance_count=1, max_instance_count=4, target_invocations_per_instance=200
                ),
            ),
            # Kept after `cdk destroy`: staging is where models are judged.
            # Every request and response for a month (then 30 more days as noncurrent versions).
            data_capture=DataCapture(
                sampling_percentage=100, removal_policy=cdk.RemovalPolicy.RETAIN, expiration=cdk.Duration.days(30)
            ),
            deployment=DeploymentGuardrails.blue_green(
                TrafficShift.linear(percent=50, wait=cdk.Duration.minutes(5)),
            ),
        ),
    ),
    accelerator_mode=AcceleratorMode.ELASTIC_INFERENCE,
    tags=project_tags("staging"),
)

PROD = Environment(
    name="prod",
    account="222222222222",
    region="us-east-1",
    endpoints=(
        image_classifier(
            "prod",
            ProductionVariant(
                variant_name="Primary",
                instance_type="ml.c5.xlarge",
                accelerator_type=AcceleratorType.EIA2_LARGE,
                initial_instance_count=3,
                initial_variant_weight=0.9,
                autoscaling=VariantAutoscaling(
                    min_instance_count=2, max_instance_count=10, target_invocations_per_instance=300
                ),
            ),
            ProductionVariant(
                variant_name="Canary",
                instance_type="ml.c5.xlarge",
                accelerator_type=AcceleratorType.EIA2_XLARGE,
                initial_instance_count=1,
                initial_variant_weight=0.1,
                autoscaling=VariantAutoscaling(
                    min_instance_count=1, max_instance_count=3, target_invocations_per_instance=300
                ),
            ),
            # A fifth of the traffic is plenty for monitoring; captured data survives `cdk destroy`
            # and is kept a year (then 30 more days as noncurrent versions).
            data_capture=DataCapture(
                sampling_percentage=20, removal_policy=cdk.RemovalPolicy.RETAIN, expiration=cdk.Duration.days(365)
            ),
            deployment=DeploymentGuardrails.blue_green(
                TrafficShift.canary(percent=10, wait=cdk.Duration.minutes(10)),
                termination_wait=cdk.Duration.minutes(15),
                latency_threshold_ms=500,
            ),
        ),
    ),
    accelerator_mode=AcceleratorMode.ELASTIC_INFERENCE,
    tags=project_tags("prod"),
)


@dataclass(frozen=True, kw_only=True)
class PipelineSettings:
    """Where the CDK Pipelines pipeline lives and what it builds from (``-c pipeline=true``).

    ``account`` is the tooling account: it holds the pipeline and no workload environment, and it is
    the only account the environments' accounts trust (docs/review-and-pipeline.md, "The delivery pipeline").
    ``connection_arn`` is an AWS CodeConnections (CodeStar) connection to the repository, in the
    tooling account; override these with ``-c pipeline_account=... -c pipeline_region=...
    -c pipeline_repository=owner/name -c pipeline_branch=main -c pipeline_connection_arn=...``.
    Environments without a region (dev) deploy into the pipeline's region.
    """

    account: str
    region: str
    repository: str
    branch: str
    connection_arn: str


PIPELINE = PipelineSettings(
    account="333333333333",
    region="us-east-1",
    repository="example-org/sagemaker-ei-endpoint",
    branch="main",
    connection_arn="arn:aws:codeconnections:us-east-1:333333333333:connection/00000000-0000-0000-0000-000000000000",
)

ENVIRONMENTS: Mapping[str, Environment] = {env.name: env for env in (DEV, STAGING, PROD)}


class UnknownEnvironmentError(ValueError):
    pass


def select_environments(
    name: str | None, environments: Mapping[str, Environment] = ENVIRONMENTS
) -> tuple[Environment, ...]:
    """All ``environments``, or the one called ``name`` (the ``-c env=NAME`` context value)."""
    if name is None:
        return tuple(environments.values())
    if name not in environments:
        raise UnknownEnvironmentError(f"env: unknown environment {name!r}; expected one of {', '.join(environments)}")
    return (environments[name],)
