"""What an EI variant becomes when its environment deploys the successor of Elastic Inference.

AWS named two successors for EI: AWS Inferentia and GPU instances such as ml.g4dn.xlarge.
The default here is the GPU instance, because it runs the same framework model with the standard
inference image; Inferentia needs the model compiled with AWS Neuron and a Neuron image, so it
is a per-variant choice (``successor_instance_type`` plus ``successor_image`` on the endpoint).

Why one g4dn size covers every EI size: an ml.g4dn instance carries one NVIDIA T4 with 16 GiB of
GPU memory and about 8.1 FP32 TFLOPS, while the largest EI accelerator (ml.eia2.xlarge) has 8 GiB and
4 FP32 TFLOPS (ml.eia1: 1/2/4 GiB, ml.eia2: 2/4/8 GiB; 1/2/4 TFLOPS). So the accelerator never
decides the size; the host does. The successor is the smallest g4dn with at least the host's vCPUs
and memory, keeping the CPU-side work (pre- and post-processing) no slower than before.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from .accelerator import AcceleratorType
from .errors import EIEndpointPropsError
from .images import ContainerImage
from .successor_table import SUCCESSOR_INSTANCE_TYPES
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


def successor_instance_type(instance_type: str, accelerator: AcceleratorType) -> str | None:
    """The successor of an EI variant on ``instance_type``; None when the table has no answer."""
    memory = accelerator.memory_gib
    if memory is None or memory > SUCCESSOR_GPU_MEMORY_GIB:
        return None
    entry = SUCCESSOR_INSTANCE_TYPES.get(instance_type)
    return entry[0] if entry else None


def _is_gpu(instance_type: str) -> bool:
    return instance_type.startswith(("ml.g", "ml.p"))


def _is_neuron(instance_type: str) -> bool:
    return instance_type.startswith(("ml.inf", "ml.trn"))


@dataclass(frozen=True)
class SuccessorPlan:
    """The successor of every variant (same order) and the image they run."""

    instance_types: tuple[str, ...]
    image: ContainerImage


def plan_successor(
    *,
    variants: Sequence[ProductionVariant],
    image: ContainerImage,
    successor_image: ContainerImage | None,
    image_runs_unchanged: bool,
) -> tuple[SuccessorPlan | None, list[str]]:
    """The successor plan, or the problems that prevent one (each naming its field)."""
    problems: list[str] = []
    instance_types = []
    for index, variant in enumerate(variants):
        chosen = variant.successor_instance_type or successor_instance_type(
            variant.instance_type, variant.accelerator_type
        )
        if chosen is None:
            problems.append(
                f"variants[{index}].instance_type: no successor known for {variant.instance_type!r} with "
                f"{variant.accelerator_type}; set successor_instance_type "
                f"(known hosts: {', '.join(SUCCESSOR_INSTANCE_TYPES)})"
            )
        instance_types.append(chosen or "")
    if problems:
        return None, problems

    if successor_image is not None:
        return SuccessorPlan(tuple(instance_types), successor_image), []
    if image_runs_unchanged:
        return SuccessorPlan(tuple(instance_types), image), []
    if any(_is_neuron(t) for t in instance_types):
        neuron = [t for t in instance_types if _is_neuron(t)]
        return None, [
            f"successor_image: {neuron} run only Neuron-compiled models; give successor_image "
            "(an AWS Neuron image of your framework) for them"
        ]
    gpu = {_is_gpu(t) for t in instance_types}
    if len(gpu) > 1:
        return None, [
            f"successor_image: the successor instances {instance_types} mix GPU and CPU types, "
            "which need different images; give successor_image"
        ]
    try:
        successor = image.successor(processor="gpu" if gpu == {True} else "cpu")
    except EIEndpointPropsError as error:
        return None, [f"successor_image: no successor for {image.label!r}: {'; '.join(error.problems)}"]
    if successor is None:
        return None, [
            f"successor_image: {image.label!r} is your own image; give successor_image=..., or "
            "image_runs_unchanged_on_successor=True if it already runs on the successor instances"
        ]
    return SuccessorPlan(tuple(instance_types), successor), []
