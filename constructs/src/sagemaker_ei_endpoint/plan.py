"""The pure planning step of an EIEndpoint: every check and every decision, before any resource exists.

``plan_endpoint`` validates all props (raising one EIEndpointPropsError with every problem), maps
variants to their successors in successor mode, and decides what AWS's documented rules imply
(network isolation, storage encryption, the warnings). The construct then only builds what the plan says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk

from . import contract
from .accelerator import AcceleratorType
from .data_capture import DataCapture
from .errors import EIEndpointPropsError
from .families import NeuronModel, SuccessorFamily
from .guardrails import DeploymentGuardrails
from .images import ContainerImage
from .instance_types import has_instance_storage, is_accelerated_instance
from .model_data import ModelData
from .network import VpcPlacement
from .successor import AcceleratorMode, SuccessorInputs, SuccessorPlan, plan_successor
from .validation import validate_endpoint_props
from .variants import ProductionVariant, ShadowVariant

if TYPE_CHECKING:
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns

WARNING_EI_RETIRED = "sagemaker-ei-endpoint:elasticInferenceRetired"
WARNING_ACCELERATED_INSTANCE = "sagemaker-ei-endpoint:acceleratorOnAcceleratedInstance"
WARNING_SUCCESSOR = "sagemaker-ei-endpoint:successorMapping"


@dataclass(frozen=True, kw_only=True)
class EIEndpointProps:
    """The props of an EIEndpoint, as documented on the construct."""

    image: ContainerImage
    variants: Sequence[ProductionVariant]
    model_data: ModelData | None = None
    environment: Mapping[str, str] | None = None
    role: iam.IRole | None = None
    endpoint_name: str | None = None
    encryption_key: kms.IKey | None = None
    storage_encryption: bool = True
    network_isolation: bool | None = None
    vpc: VpcPlacement | None = None
    data_capture: DataCapture | None = None
    deployment: DeploymentGuardrails | None = None
    alarm_topic: sns.ITopic | None = None
    accelerator_mode: AcceleratorMode = AcceleratorMode.ELASTIC_INFERENCE
    successor_family: SuccessorFamily = SuccessorFamily.GPU
    successor_image: ContainerImage | None = None
    image_runs_unchanged_on_successor: bool = False
    neuron_model: NeuronModel | None = None


PROP_NAMES = frozenset(f.name for f in fields(EIEndpointProps))


@dataclass(frozen=True)
class DeployedVariant:
    """One production variant as it deploys: on its own host with its accelerator, or on its successor."""

    declared: ProductionVariant
    instance_type: str
    accelerator_type: AcceleratorType | None

    @property
    def name(self) -> str:
        return self.declared.variant_name


@dataclass(frozen=True)
class DeployedShadowVariant:
    """The shadow variant as it deploys: a copy of ``source``'s traffic, on its own successor and model."""

    declared: ShadowVariant
    source: str
    instance_type: str
    image: ContainerImage
    model_data: ModelData | None

    @property
    def name(self) -> str:
        return self.declared.variant_name


@dataclass(frozen=True)
class EndpointPlan:
    """What the construct builds; ``warnings`` are (id, message) pairs, each acknowledgeable by id."""

    elastic_inference: bool
    variants: tuple[DeployedVariant, ...]
    image: ContainerImage
    network_isolation: bool
    encrypt_volume: bool
    warnings: tuple[tuple[str, str], ...]
    model_data: ModelData | None = None
    shadow_variants: tuple[DeployedShadowVariant, ...] = ()
    successor_metadata: Mapping[str, Any] | None = field(default=None)

    @property
    def instance_types(self) -> tuple[str, ...]:
        return tuple(v.instance_type for v in self.variants)

    @property
    def all_instance_types(self) -> tuple[str, ...]:
        """Production and shadow instances: the endpoint config's settings apply to both."""
        return self.instance_types + tuple(s.instance_type for s in self.shadow_variants)

    @property
    def autoscaled(self) -> bool:
        return any(v.declared.autoscaling is not None for v in self.variants)


def plan_endpoint(props: EIEndpointProps, stack: cdk.Stack) -> EndpointPlan:
    """The plan for ``props`` in ``stack``, or EIEndpointPropsError listing every problem."""
    elastic_inference = props.accelerator_mode is AcceleratorMode.ELASTIC_INFERENCE
    variants = props.variants
    problems = validate_endpoint_props(variants=variants, endpoint_name=props.endpoint_name)
    problems += props.data_capture.problems() if props.data_capture else []
    problems += props.deployment.problems(len(variants)) if props.deployment else []
    problems += props.vpc.problems(elastic_inference=elastic_inference) if props.vpc else []
    problems += contract.shadow_problems(variants, elastic_inference=elastic_inference)
    image, instance_types = props.image, tuple(v.instance_type for v in variants)
    successor: SuccessorPlan | None = None
    if not elastic_inference and not problems:
        successor, successor_problems = plan_successor(
            SuccessorInputs(
                variants=variants,
                image=props.image,
                model_data=props.model_data,
                family=props.successor_family,
                successor_image=props.successor_image,
                image_runs_unchanged=props.image_runs_unchanged_on_successor,
                neuron_model=props.neuron_model,
            )
        )
        problems += successor_problems
        if successor is not None:
            image, instance_types = successor.model.image, successor.instance_types
    shadows = _shadow_variants(variants, successor)
    for shadow in shadows:
        problems += shadow.image.problems(stack) if shadow.image is not image else []
        problems += contract.shadow_instance_problems("variants[0].shadow", (*instance_types, shadow.instance_type))
    problems += image.problems(stack)
    if not problems:
        problems += contract.autoscaling_problems(variants, instance_types)
    if problems:
        raise EIEndpointPropsError(problems)

    deployed = tuple(
        DeployedVariant(v, t, v.accelerator_type if elastic_inference else None)
        for v, t in zip(variants, instance_types, strict=True)
    )
    isolation, isolation_warning = contract.network_isolation(
        props.network_isolation, elastic_inference=elastic_inference, image=image
    )
    warnings = [(contract.WARNING_NETWORK_ISOLATION, isolation_warning)] if isolation_warning else []
    guardrails = contract.ignored_guardrails(
        props.deployment, elastic_inference=elastic_inference, deployed_instance_types=instance_types
    )
    warnings += [(contract.WARNING_GUARDRAILS_IGNORED, guardrails)] if guardrails else []
    vpc = props.vpc
    if elastic_inference and vpc and vpc.elastic_inference_endpoint is None and vpc.availability_zones() is None:
        warnings.append((contract.WARNING_EI_ZONES_UNKNOWN, contract.EI_ZONES_UNKNOWN))
    metadata = None
    if elastic_inference:
        warnings += _elastic_inference_warnings(variants)
    else:
        metadata, message = _successor_mapping(deployed, props.image, image)
        shadowing = "".join(
            f" Shadow variant {s.name} gets a copy of {s.source}'s traffic on {s.instance_type} ({s.image.label})."
            for s in shadows
        )
        warnings.append((WARNING_SUCCESSOR, message + shadowing))
    every_instance = (*instance_types, *(s.instance_type for s in shadows))
    return EndpointPlan(
        elastic_inference=elastic_inference,
        variants=deployed,
        image=image,
        network_isolation=isolation,
        # SageMaker refuses a KmsKeyId for instances with local NVMe storage (encrypted in hardware);
        # the key is one setting of the endpoint config, for shadow variants too.
        encrypt_volume=props.storage_encryption and not any(has_instance_storage(t) for t in every_instance),
        warnings=tuple(warnings),
        model_data=successor.model.model_data if successor else props.model_data,
        shadow_variants=shadows,
        successor_metadata=metadata,
    )


def _shadow_variants(
    variants: Sequence[ProductionVariant], successor: SuccessorPlan | None
) -> tuple[DeployedShadowVariant, ...]:
    if successor is None or successor.shadow_instance_type is None or successor.shadow_model is None:
        return ()
    ((source, shadow),) = [(v.variant_name, v.shadow) for v in variants if v.shadow is not None]
    model = successor.shadow_model
    return (DeployedShadowVariant(shadow, source, successor.shadow_instance_type, model.image, model.model_data),)


def _elastic_inference_warnings(variants: Sequence[ProductionVariant]) -> list[tuple[str, str]]:
    warnings = [
        (
            WARNING_EI_RETIRED,
            "Elastic Inference is no longer available on AWS: SageMaker rejects AcceleratorType and "
            "CloudFormation's schema no longer has it, so `cdk deploy` of this template to AWS is expected "
            "to fail. Successor mode deploys on today's AWS (docs/successor.md).",
        )
    ]
    warnings += [
        (
            WARNING_ACCELERATED_INSTANCE,
            f"variants[{index}].instance_type: {v.instance_type!r} is itself accelerated; "
            "the AWS guide pairs Elastic Inference with CPU instance types",
        )
        for index, v in enumerate(variants)
        if is_accelerated_instance(v.instance_type)
    ]
    return warnings


def _successor_mapping(
    deployed: Sequence[DeployedVariant], ei_image: ContainerImage, successor_image: ContainerImage
) -> tuple[dict[str, Any], str]:
    """The mapping as template metadata (tools/synth_summary.py prints it) and as the warning text."""
    rows = [
        {
            "variant": v.name,
            "from": f"{v.declared.instance_type} + {v.declared.accelerator_type}",
            "to": v.instance_type,
        }
        for v in deployed
    ]
    moves = "; ".join(f"{m['variant']}: {m['from']} -> {m['to']}" for m in rows)
    message = (
        f"deployed off Elastic Inference (successor mode): {moves}; image {ei_image.label} -> "
        f"{successor_image.label}. Models built for EI may need re-export for the successor: "
        "the EI-enabled frameworks were AWS's own builds."
    )
    return {"variants": rows, "image": {"from": ei_image.label, "to": successor_image.label}}, message
