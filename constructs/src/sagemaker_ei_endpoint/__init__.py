"""AWS CDK construct for SageMaker endpoints with an Elastic Inference accelerator on every variant."""

from .accelerator import AcceleratorType
from .endpoint import (
    SUCCESSOR_METADATA,
    WARNING_ACCELERATED_INSTANCE,
    WARNING_EI_RETIRED,
    WARNING_SUCCESSOR,
    EIEndpoint,
)
from .image_catalog import BuiltinAlgorithm, EIFramework
from .images import ContainerImage
from .model_data import ModelData
from .successor import AcceleratorMode
from .validation import EIEndpointPropsError
from .variants import ProductionVariant, ServerlessConfig

__all__ = [
    "SUCCESSOR_METADATA",
    "WARNING_ACCELERATED_INSTANCE",
    "WARNING_EI_RETIRED",
    "WARNING_SUCCESSOR",
    "AcceleratorMode",
    "AcceleratorType",
    "BuiltinAlgorithm",
    "ContainerImage",
    "EIEndpoint",
    "EIEndpointPropsError",
    "EIFramework",
    "ModelData",
    "ProductionVariant",
    "ServerlessConfig",
]
