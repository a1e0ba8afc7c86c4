"""What an EI variant becomes when its environment deploys the successor of Elastic Inference.

AWS named two successors for EI: AWS Inferentia and GPU instances such as ml.g4dn.xlarge.
The default family here is the GPU instance, because it runs the same framework model with the standard
inference image. The CPU family (the host's class in a current generation, the framework's CPU image)
suits models an accelerator was too much for; Inferentia2 needs the model compiled with AWS Neuron
and a Neuron image, so it takes a ``NeuronModel`` (families.py). The family is chosen per endpoint
and per variant; a variant may also name a shadow successor that gets a copy of its traffic.

Why one g4dn size covers every EI size: an ml.g4dn instance carries one NVIDIA T4 with 16 GiB of
GPU memory and about 8.1 FP32 TFLOPS, while the largest EI accelerator (ml.eia2.xlarge) has 8 GiB and
4 FP32 TFLOPS (ml.eia1: 1/2/4 GiB, ml.eia2: 2/4/8 GiB; 1/2/4 TFLOPS). So the accelerator never
decides the size; the host does. The successor is the smallest size of the family with at least the
host's vCPUs and memory, keeping the CPU-side work (pre- and post-processing) no slower than before.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from .accelerator import AcceleratorType
from .errors import EIEndpointPropsError
from .families import NeuronModel, SuccessorFamily, is_neuron_instance
from .images import ContainerImage
from .model_data import ModelData
from .successor_table import EI_HOSTS, successor_of
from .variants import ProductionVariant

# The largest EI accelerator memory a single successor GPU must hold: a T4's 16 GiB.
SUCCESSOR_GPU_MEMORY_GIB = 16


class AcceleratorMode(enum.Enum):
    """How an endpoint's accelerators are deployed."""

    ELASTIC_INFERENCE = "elastic-inference"
    """AcceleratorType on every variant, as the AWS EI guide has it (retired on AWS)."""
    SUCCESSOR = "successor"
    """Every EI variant runs on an accelerated instance instead; no AcceleratorType is emitted."""

    @classmethod
    def of(cls, value: str) -> AcceleratorMode:
        try:
            return cls(value)
        except ValueError:
            expected = ", ".join(m.value for m in cls)
            raise EIEndpointPropsError([f"accelerator_mode: expected one of {expected}, got {value!r}"]) from None


def successor_instance_type(
    instance_type: str, accelerator: AcceleratorType, family: SuccessorFamily = SuccessorFamily.GPU
) -> str | None:
    """The successor of an EI variant on ``instance_type`` in ``family``; None when the table has no answer."""
    memory = accelerator.memory_gib
    if memory is None or memory > SUCCESSOR_GPU_MEMORY_GIB:
        return None
    return successor_of(family.value, instance_type)


def _is_gpu(instance_type: str) -> bool:
    return instance_type.startswith(("ml.g", "ml.p"))


@dataclass(frozen=True)
class ModelChoice:
    """The image and artifact a SageMaker model of the successor runs."""

    image: ContainerImage
    model_data: ModelData | None


@dataclass(frozen=True)
class SuccessorPlan:
    """The successor of every variant (same order), the model they run, and the shadow successor if any."""

    instance_types: tuple[str, ...]
    model: ModelChoice
    shadow_instance_type: str | None = None
    shadow_model: ModelChoice | None = None


@dataclass(frozen=True, kw_only=True)
class SuccessorInputs:
    """What the successor of an endpoint is derived from: its EI definition and the successor props."""

    variants: Sequence[ProductionVariant]
    image: ContainerImage
    model_data: ModelData | None
    family: SuccessorFamily
    successor_image: ContainerImage | None
    image_runs_unchanged: bool
    neuron_model: NeuronModel | None


def _chosen(
    field: str, override: str | None, family: SuccessorFamily, variant: ProductionVariant
) -> tuple[str | None, str | None]:
    """The instance a variant (or its shadow) deploys on, or the problem naming ``field``."""
    chosen = override or successor_instance_type(variant.instance_type, variant.accelerator_type, family)
    if chosen is not None:
        return chosen, None
    return None, (
        f"{field}: no {family.value} successor known for {variant.instance_type!r} with "
        f"{variant.accelerator_type}; set successor_instance_type (known hosts: {', '.join(EI_HOSTS)})"
    )


def plan_successor(inputs: SuccessorInputs) -> tuple[SuccessorPlan | None, list[str]]:
    """The successor plan, or the problems that prevent one (each naming its field)."""
    problems: list[str] = []
    instance_types = []
    shadow_type, shadow_field = None, "shadow"
    for index, variant in enumerate(inputs.variants):
        family = variant.successor_family or inputs.family
        chosen, problem = _chosen(f"variants[{index}].instance_type", variant.successor_instance_type, family, variant)
        instance_types.append(chosen or "")
        problems += [problem] if problem else []
        if variant.shadow is not None:
            shadow, shadow_field = variant.shadow, f"variants[{index}].shadow"
            shadow_type, problem = _chosen(
                shadow_field, shadow.successor_instance_type, shadow.successor_family or family, variant
            )
            problems += [problem] if problem else []
    if problems:
        return None, problems
    model, problems = _model_for(instance_types, inputs, "successor_image")
    if shadow_type is None or model is None:
        return (SuccessorPlan(tuple(instance_types), model) if model else None), problems
    shadow_model, problems = _model_for([shadow_type], inputs, shadow_field)
    if shadow_model is None:
        return None, problems
    return SuccessorPlan(tuple(instance_types), model, shadow_type, shadow_model), []


def _model_for(
    instance_types: Sequence[str], inputs: SuccessorInputs, field: str
) -> tuple[ModelChoice | None, list[str]]:
    """The image and artifact that run on ``instance_types``, or why none can be chosen."""
    neuron = [t for t in instance_types if is_neuron_instance(t)]
    if neuron:
        if len(neuron) < len(instance_types):
            return None, [
                f"{field}: {list(instance_types)} mix AWS Neuron and other instances, and one model serves "
                "every production variant; put the Neuron successor in a shadow variant or its own endpoint"
            ]
        if inputs.neuron_model is None:
            return None, [
                f"neuron_model: {neuron} run only models compiled with AWS Neuron; give "
                "neuron_model=NeuronModel(image=<a Neuron inference image>, model_data=<the Neuron-compiled artifact>)"
            ]
        return ModelChoice(inputs.neuron_model.image, inputs.neuron_model.model_data or inputs.model_data), []
    image, problems = _image_for(instance_types, inputs, field)
    return (ModelChoice(image, inputs.model_data) if image else None), problems


def _image_for(
    instance_types: Sequence[str], inputs: SuccessorInputs, field: str
) -> tuple[ContainerImage | None, list[str]]:
    if inputs.successor_image is not None:
        return inputs.successor_image, []
    if inputs.image_runs_unchanged:
        return inputs.image, []
    image = inputs.image
    gpu = {_is_gpu(t) for t in instance_types}
    if len(gpu) > 1:
        return None, [
            f"{field}: the successor instances {list(instance_types)} mix GPU and CPU types, "
            "which need different images; give successor_image"
        ]
    try:
        successor = image.successor(processor="gpu" if gpu == {True} else "cpu")
    except EIEndpointPropsError as error:
        return None, [f"{field}: no successor for {image.label!r}: {'; '.join(error.problems)}"]
    if successor is None:
        return None, [
            f"{field}: {image.label!r} is your own image; give successor_image=..., or "
            "image_runs_unchanged_on_successor=True if it already runs on the successor instances"
        ]
    return successor, []
