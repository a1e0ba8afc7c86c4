"""A production variant: one instance fleet behind the endpoint, with its EI accelerator."""

from __future__ import annotations

from dataclasses import dataclass

from .accelerator import AcceleratorType
from .autoscaling import VariantAutoscaling
from .families import SuccessorFamily


@dataclass(frozen=True, kw_only=True)
class ServerlessConfig:
    """SageMaker Serverless Inference settings. Serverless variants have no instance to attach
    an accelerator to, so an ``EIEndpoint`` refuses them; the type exists to say so clearly."""

    memory_size_in_mb: int
    max_concurrency: int


@dataclass(frozen=True, kw_only=True)
class ShadowVariant:
    """A successor that receives a copy of its production variant's traffic and answers nobody
    (``ShadowProductionVariants``), to compare two successors on live traffic before switching.
    Successor mode only; SageMaker allows it beside exactly one production variant.

    :param variant_name: unique within the endpoint; the metric methods accept it.
    :param successor_family: Default: the production variant's family.
    :param successor_instance_type: Default: looked up in the family's table from the EI host.
    :param initial_instance_count: default 1; a shadow variant is never autoscaled.
    """

    variant_name: str
    successor_family: SuccessorFamily | None = None
    successor_instance_type: str | None = None
    initial_instance_count: int = 1


@dataclass(frozen=True, kw_only=True)
class ProductionVariant:
    """One production variant of an ``EIEndpoint``.

    :param variant_name: unique within the endpoint, e.g. "AllTraffic".
    :param instance_type: the host instance, e.g. "ml.m5.xlarge"; the AWS guide pairs EI with CPU types.
    :param accelerator_type: the EI accelerator attached to every instance of the variant.
    :param initial_instance_count: default 1.
    :param initial_variant_weight: share of traffic relative to the other variants; default 1.0.
    :param successor_instance_type: the instance this variant runs on in successor mode.
        Default: looked up in the successor family's table from ``instance_type``.
    :param successor_family: the family this variant moves to in successor mode. Default: the
        endpoint's ``successor_family``.
    :param shadow: a shadow successor that gets a copy of this variant's traffic (successor mode).
        Default: none.
    :param autoscaling: Default: none, the instance count stays as deployed.
    :param serverless_config: refused; see ``ServerlessConfig``.
    """

    variant_name: str
    instance_type: str
    accelerator_type: AcceleratorType
    initial_instance_count: int = 1
    initial_variant_weight: float = 1.0
    successor_instance_type: str | None = None
    successor_family: SuccessorFamily | None = None
    shadow: ShadowVariant | None = None
    autoscaling: VariantAutoscaling | None = None
    serverless_config: ServerlessConfig | None = None
