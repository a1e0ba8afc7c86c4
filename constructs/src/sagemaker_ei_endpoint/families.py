"""The successor families an EI variant can move to, and the Neuron-compiled model Inferentia2 needs."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import EIEndpointPropsError

if TYPE_CHECKING:
    from .images import ContainerImage
    from .model_data import ModelData


class SuccessorFamily(enum.Enum):
    """Where an EI variant goes in successor mode; the size follows the EI host (successor_table.py)."""

    GPU = "gpu"
    """ml.g4dn (one NVIDIA T4), the framework's GPU inference image. The default."""
    GPU_G5 = "gpu-g5"
    """ml.g5 (one NVIDIA A10G), the framework's GPU inference image."""
    GPU_G6 = "gpu-g6"
    """ml.g6 (one NVIDIA L4), the framework's GPU inference image."""
    CPU = "cpu"
    """ml.m6i / ml.c6i / ml.r6i, the host's class in a current generation, the framework's CPU image."""
    INFERENTIA2 = "inferentia2"
    """ml.inf2 (AWS Inferentia2): only with a ``NeuronModel``, a model compiled with AWS Neuron."""

    @classmethod
    def of(cls, value: str, field: str = "successor_family") -> SuccessorFamily:
        try:
            return cls(value)
        except ValueError:
            expected = ", ".join(f.value for f in cls)
            raise EIEndpointPropsError([f"{field}: expected one of {expected}, got {value!r}"]) from None


def is_neuron_instance(instance_type: str) -> bool:
    """Inferentia and Trainium hosts run only models compiled with AWS Neuron."""
    return instance_type.startswith(("ml.inf", "ml.trn"))


@dataclass(frozen=True, kw_only=True)
class NeuronModel:
    """A model compiled with AWS Neuron and the Neuron image that serves it, for Inferentia successors.

    An EI model cannot run on Inferentia as it is: it must be compiled for Neuron (e.g. with
    ``torch_neuronx.trace``) and served by a Neuron image, such as AWS's Deep Learning Container
    ``pytorch-inference-neuronx``. The image catalog (sagemaker-core) has no Inf2 image of the EI
    frameworks, so the construct cannot pick one: you give both.

    :param image: the Neuron inference image.
    :param model_data: the Neuron-compiled artifact. Default: the endpoint's ``model_data``, which
        you thereby declare compiled for Neuron.
    """

    image: ContainerImage
    model_data: ModelData | None = None
