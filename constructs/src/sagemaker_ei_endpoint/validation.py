"""Every check of an EIEndpoint's props, run before any resource is created.

All problems are collected and reported together, each naming its field and showing the value.
Unresolved tokens are not judged: their values are only known at deploy time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from .accelerator import AcceleratorType
from .instance_types import INSTANCE_TYPE
from .tokens import is_known
from .variants import ProductionVariant

MAX_VARIANTS = 10
# SageMaker's pattern for VariantName and EndpointName.
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class EIEndpointPropsError(ValueError):
    """Raised when an EIEndpoint's props are invalid; the message lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid EIEndpoint props:\n  " + "\n  ".join(self.problems))


def _check_variant(index: int, variant: ProductionVariant) -> list[str]:
    field = f"variants[{index}]"
    problems = []
    name, instance_type = variant.variant_name, variant.instance_type
    if is_known(name) and not _NAME.match(name):
        problems.append(f"{field}.variant_name: must match {_NAME.pattern}, got {name!r}")
    if is_known(instance_type) and not INSTANCE_TYPE.match(instance_type):
        problems.append(
            f"{field}.instance_type: expected a SageMaker instance type like 'ml.m5.xlarge', got {instance_type!r}"
        )
    if not isinstance(variant.accelerator_type, AcceleratorType):
        problems.append(
            f"{field}.accelerator_type: expected an AcceleratorType (e.g. AcceleratorType.of(...)), "
            f"got {variant.accelerator_type!r}"
        )
    if variant.serverless_config is not None:
        problems.append(
            f"{field}.serverless_config: a serverless variant cannot carry an Elastic Inference accelerator "
            f"(accelerator_type={str(variant.accelerator_type)!r}); EI attaches to instances"
        )
    count, weight = variant.initial_instance_count, variant.initial_variant_weight
    if is_known(count) and not (isinstance(count, int) and count >= 1):
        problems.append(f"{field}.initial_instance_count: must be an integer of at least 1, got {count!r}")
    if is_known(weight) and not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
        problems.append(f"{field}.initial_variant_weight: must be a finite number, not negative, got {weight!r}")
    if variant.autoscaling is not None:
        problems.extend(variant.autoscaling.problems(f"{field}.autoscaling", variant.initial_instance_count))
    return problems


def validate_endpoint_props(*, variants: Sequence[ProductionVariant], endpoint_name: str | None) -> list[str]:
    """The problems with these props, empty when they are valid."""
    problems: list[str] = []
    if endpoint_name is not None and is_known(endpoint_name) and not _NAME.match(endpoint_name):
        problems.append(f"endpoint_name: must match {_NAME.pattern}, got {endpoint_name!r}")
    if not 1 <= len(variants) <= MAX_VARIANTS:
        problems.append(f"variants: expected 1 to {MAX_VARIANTS} production variants, got {len(variants)}")
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        problems.extend(_check_variant(index, variant))
        if variant.variant_name in seen:
            problems.append(f"variants[{index}].variant_name: duplicate name {variant.variant_name!r}")
        seen.add(variant.variant_name)
    weights = [v.initial_variant_weight for v in variants]
    if weights and all(is_known(w) for w in weights) and all(w == 0 for w in weights):
        problems.append(f"variants: every initial_variant_weight is 0 ({weights}); at least one must be positive")
    return problems
