"""AWS CDK construct for SageMaker endpoints with an Elastic Inference accelerator on every variant."""

from .accelerator import AcceleratorType
from .autoscaling import VariantAutoscaling
from .dashboard import EndpointDashboard
from .data_capture import CaptureMode, DataCapture
from .endpoint import (
    SUCCESSOR_METADATA,
    WARNING_ACCELERATED_INSTANCE,
    WARNING_EI_RETIRED,
    WARNING_SUCCESSOR,
    EIEndpoint,
)
from .errors import EIEndpointPropsError
from .families import NeuronModel, SuccessorFamily
from .guardrails import DeploymentGuardrails, TrafficShift, TrafficShiftType
from .image_catalog import BuiltinAlgorithm, EIFramework
from .images import ContainerImage
from .imported import ImportedEIEndpoint
from .metrics import IEIEndpoint, MetricOptions
from .model_data import ModelData
from .network import VpcPlacement
from .successor import AcceleratorMode
from .variants import ProductionVariant, ServerlessConfig, ShadowVariant

__all__ = [
    "SUCCESSOR_METADATA",
    "WARNING_ACCELERATED_INSTANCE",
    "WARNING_EI_RETIRED",
    "WARNING_SUCCESSOR",
    "AcceleratorMode",
    "AcceleratorType",
    "BuiltinAlgorithm",
    "CaptureMode",
    "ContainerImage",
    "DataCapture",
    "DeploymentGuardrails",
    "EIEndpoint",
    "EIEndpointPropsError",
    "EIFramework",
    "EndpointDashboard",
    "IEIEndpoint",
    "ImportedEIEndpoint",
    "MetricOptions",
    "ModelData",
    "NeuronModel",
    "ProductionVariant",
    "ServerlessConfig",
    "ShadowVariant",
    "SuccessorFamily",
    "TrafficShift",
    "TrafficShiftType",
    "VariantAutoscaling",
    "VpcPlacement",
]
