"""Every check of an EIEndpoint's props, run before any resource is created.

All problems are collected and reported together, each naming its field and showing the value.
Unresolved tokens are not judged: their values are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import api_constraints
from .accelerator import AcceleratorType
from .errors import EIEndpointPropsError
from .tokens import is_known
from .variants import ProductionVariant

MAX_VARIANTS = api_constraints.max_items("variants")
__all__ = ["MAX_VARIANTS", "EIEndpointPropsError", "validate_endpoint_props"]


def _check_variant(index: int, variant: ProductionVariant) -> list[str]:
    field = f"variants[{index}]"
    problems = [
        api_constraints.name_problem(f"{field}.variant_name", "variant_name", variant.variant_name),
        api_constraints.enum_problem(f"{field}.instance_type", "instance_type", variant.instance_type, "ml.m5.xlarge"),
        api_constraints.count_problem(f"{field}.initial_instance_count", variant.initial_instance_count),
        api_constraints.weight_problem(f"{field}.initial_variant_weight", variant.initial_variant_weight),
    ]
    if not isinstance(variant.accelerator_type, AcceleratorType):
        problems.append(
            f"{field}.accelerator_type: expected an AcceleratorType (e.g. AcceleratorType.of(...)), "
            f"got {variant.accelerator_type!r}"
        )
    if variant.successor_instance_type is not None:
        problems.append(
            api_constraints.enum_problem(
                f"{field}.successor_instance_type", "instance_type", variant.successor_instance_type, "ml.g4dn.xlarge"
            )
        )
    if variant.serverless_config is not None:
        problems.append(
            f"{field}.serverless_config: a serverless variant cannot carry an Elastic Inference accelerator "
            f"(accelerator_type={str(variant.accelerator_type)!r}); EI attaches to instances"
        )
    if variant.shadow is not None:
        problems += _check_shadow(f"{field}.shadow", variant)
    found = [p for p in problems if p is not None]
    if variant.autoscaling is not None:
        found.extend(variant.autoscaling.problems(f"{field}.autoscaling", variant.initial_instance_count))
    return found


def _check_shadow(field: str, variant: ProductionVariant) -> list[str | None]:
    shadow = variant.shadow
    assert shadow is not None
    problems = [
        api_constraints.name_problem(f"{field}.variant_name", "variant_name", shadow.variant_name),
        api_constraints.count_problem(f"{field}.initial_instance_count", shadow.initial_instance_count),
    ]
    if shadow.successor_instance_type is not None:
        problems.append(
            api_constraints.enum_problem(
                f"{field}.successor_instance_type", "instance_type", shadow.successor_instance_type, "ml.c6i.xlarge"
            )
        )
    return problems


def validate_endpoint_props(*, variants: Sequence[ProductionVariant], endpoint_name: str | None) -> list[str]:
    """The problems with these props, empty when they are valid."""
    problems: list[str] = []
    if endpoint_name is not None:
        problem = api_constraints.name_problem("endpoint_name", "endpoint_name", endpoint_name)
        problems += [problem] if problem else []
    if not 1 <= len(variants) <= MAX_VARIANTS:
        problems.append(f"variants: expected 1 to {MAX_VARIANTS} production variants, got {len(variants)}")
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        problems.extend(_check_variant(index, variant))
        if variant.variant_name in seen:
            problems.append(f"variants[{index}].variant_name: duplicate name {variant.variant_name!r}")
        seen.add(variant.variant_name)
    for index, variant in enumerate(variants):
        if variant.shadow is not None and variant.shadow.variant_name in seen:
            problems.append(
                f"variants[{index}].shadow.variant_name: {variant.shadow.variant_name!r} is already a production "
                "variant's name; a shadow variant needs its own"
            )
    weights = [v.initial_variant_weight for v in variants]
    if weights and all(is_known(w) for w in weights) and all(w == 0 for w in weights):
        problems.append(f"variants: every initial_variant_weight is 0 ({weights}); at least one must be positive")
    return problems
