"""AWS CDK construct for SageMaker endpoints with an Elastic Inference accelerator on every variant."""

from .accelerator import AcceleratorType
from .endpoint import WARNING_ACCELERATED_INSTANCE, WARNING_EI_RETIRED, EIEndpoint
from .image_catalog import BuiltinAlgorithm, EIFramework
from .images import ContainerImage
from .model_data import ModelData
from .validation import EIEndpointPropsError
from .variants import ProductionVariant, ServerlessConfig

__all__ = [
    "WARNING_ACCELERATED_INSTANCE",
    "WARNING_EI_RETIRED",
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
