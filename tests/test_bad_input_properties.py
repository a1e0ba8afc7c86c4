"""Property-based: generated invalid props are all refused, naming the field, with no template made.

The number of generated cases is printed at the end of the pytest run.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import assertions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagemaker_ei_endpoint import (
    AcceleratorType,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    EIEndpoint,
    EIEndpointPropsError,
    EIFramework,
    TrafficShift,
    VariantAutoscaling,
)
from tests.conftest import new_stack, variant

CASES: Counter[str] = Counter()
IMAGE = ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.3")
PROFILE = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# The oracle: SageMaker's service model as botocore ships it, never the project's own copy or regex.
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")
VARIANT_MEMBERS = SAGEMAKER.shape_for("ProductionVariant").members


def api_accepts(member: str, value: Any) -> bool:
    """Whether SageMaker's model allows ``value`` for ProductionVariant.``member``."""
    shape = VARIANT_MEMBERS[member]
    meta = shape.metadata
    if shape.type_name == "string":
        if not isinstance(value, str):
            return False
        if getattr(shape, "enum", None):
            return value in shape.enum
        pattern = meta.get("pattern")
        within = meta.get("min", 0) <= len(value) <= meta["max"]
        return within and (pattern is None or bool(re.fullmatch(pattern, value)))
    if shape.type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool) and value >= meta.get("min", value)
    if shape.type_name == "float":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return number and math.isfinite(value) and value >= meta.get("min", value)
    raise AssertionError(f"no oracle for {shape.type_name}")


def builds(**props: Any) -> bool:
    """True when the endpoint builds; False when it is refused with EIEndpointPropsError and nothing is added."""
    stack = new_stack()
    defaults: dict[str, Any] = {"image": IMAGE, "variants": [variant()]}
    try:
        EIEndpoint(stack, "Endpoint", **(defaults | props))
    except EIEndpointPropsError:
        assert stack.node.children == []
        return False
    return True


def assert_refused(category: str, field: str, shown: str, **props: Any) -> None:
    """Building the endpoint fails naming ``field`` and showing ``shown``, and adds nothing to the stack."""
    CASES[category] += 1
    stack = new_stack()
    defaults: dict[str, Any] = {"image": IMAGE, "variants": [variant()]}
    with pytest.raises(EIEndpointPropsError) as error:
        EIEndpoint(stack, "Endpoint", **(defaults | props))
    assert field in str(error.value)
    assert shown in str(error.value)
    assert stack.node.children == []


def assert_agrees_with_api(category: str, member: str, value: Any, **props: Any) -> None:
    CASES[category] += 1
    accepted = api_accepts(member, value)
    assert builds(**props) == accepted, f"{member}={value!r}: the API {'accepts' if accepted else 'refuses'} it"


EI_SIZES = sorted(VARIANT_MEMBERS["AcceleratorType"].enum)
INSTANCE_TYPES = sorted(VARIANT_MEMBERS["InstanceType"].enum)
TEXT = st.text(max_size=70).filter(lambda n: "${Token" not in n)


@PROFILE
@given(name=st.one_of(TEXT, st.sampled_from(EI_SIZES)))
def test_accelerators_are_exactly_the_apis(name: str) -> None:
    CASES["accelerators"] += 1
    if api_accepts("AcceleratorType", name):
        assert AcceleratorType.of(name).name == name
        return
    for construct in (AcceleratorType.of, AcceleratorType):  # the constructor checks as the factory does
        with pytest.raises(EIEndpointPropsError, match=r"accelerator_type: unknown Elastic Inference accelerator"):
            construct(name)


@PROFILE
@given(instance_type=st.one_of(TEXT, st.sampled_from(INSTANCE_TYPES), st.just("ml.m5.huge")))
def test_instance_types_are_exactly_the_apis(instance_type: str) -> None:
    assert_agrees_with_api(
        "instance types", "InstanceType", instance_type, variants=[variant(instance_type=instance_type)]
    )


@PROFILE
@given(count=st.one_of(st.integers(-3, 3), st.floats(allow_nan=True), st.booleans()))
def test_instance_counts_are_exactly_the_apis(count: Any) -> None:
    assert_agrees_with_api("counts", "InitialInstanceCount", count, variants=[variant(initial_instance_count=count)])


@PROFILE
@given(weight=st.one_of(st.floats(min_value=-2, max_value=2), st.floats(allow_nan=True), st.booleans()))
def test_weights_are_exactly_the_apis(weight: Any) -> None:
    # A second variant with weight 1, so a weight of 0 is not the "every weight is 0" refusal.
    variants = [variant(initial_variant_weight=weight), variant("Other")]
    assert_agrees_with_api("weights", "InitialVariantWeight", weight, variants=variants)


@PROFILE
@given(name=st.one_of(TEXT, st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,70}", fullmatch=True)))
def test_variant_names_are_exactly_the_apis(name: str) -> None:
    assert_agrees_with_api("names", "VariantName", name, variants=[variant(name)])


@PROFILE
@given(
    bounds=st.tuples(st.integers(-5, 1200), st.integers(1, 20), st.integers(-5, 1200)).filter(
        lambda b: not 1 <= b[0] <= b[1] <= b[2] <= 1000
    )
)
def test_bad_scaling_bounds_are_refused(bounds: tuple[int, int, int]) -> None:
    low, initial, high = bounds
    scaling = VariantAutoscaling(min_instance_count=low, max_instance_count=high, target_invocations_per_instance=100)
    assert_refused(
        "scaling bounds",
        "variants[0].autoscaling",
        f"min {low!r}, initial {initial!r}, max {high!r}",
        variants=[variant(initial_instance_count=initial, autoscaling=scaling)],
    )


def _out_of(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1))


def _wait(w: int) -> cdk.Duration:
    return cdk.Duration.seconds(w)


TOO_LONG = st.integers(min_value=3601, max_value=10**7)
GUARDRAILS = st.one_of(
    _out_of(1, 50).map(lambda p: ("traffic_shift.percent", repr(p), TrafficShift.canary(percent=p, wait=_wait(60)))),
    _out_of(10, 50).map(lambda p: ("traffic_shift.percent", repr(p), TrafficShift.linear(percent=p, wait=_wait(60)))),
    TOO_LONG.map(lambda w: ("traffic_shift.wait", f"{w} seconds", TrafficShift.canary(percent=10, wait=_wait(w)))),
).map(lambda c: (c[0], c[1], DeploymentGuardrails.blue_green(c[2])))
ROLLING = st.one_of(
    _out_of(5, 50).map(
        lambda b: ("batch_percent", repr(b), DeploymentGuardrails.rolling(batch_percent=b, wait=_wait(60)))
    ),
    TOO_LONG.map(lambda w: ("wait", f"{w} seconds", DeploymentGuardrails.rolling(batch_percent=10, wait=_wait(w)))),
)
TERMINATION = TOO_LONG.map(
    lambda t: (
        "termination_wait",
        f"{t} seconds",
        DeploymentGuardrails.blue_green(TrafficShift.all_at_once(), termination_wait=_wait(t)),
    )
)


@PROFILE
@given(case=st.one_of(GUARDRAILS, ROLLING, TERMINATION))
def test_bad_guardrail_settings_are_refused(case: tuple[str, str, DeploymentGuardrails]) -> None:
    field, shown, guardrails = case
    assert_refused("guardrail settings", f"deployment.{field}", shown, deployment=guardrails)


def test_a_fraction_of_a_second_is_refused() -> None:
    guardrails = DeploymentGuardrails.blue_green(TrafficShift.all_at_once(wait=cdk.Duration.millis(1500)))
    assert_refused("guardrail settings", "deployment.traffic_shift.wait", "1.5 seconds", deployment=guardrails)


@PROFILE
@given(percentage=st.one_of(_out_of(1, 100), st.floats(allow_nan=True)))
def test_bad_capture_percentages_are_refused(percentage: Any) -> None:
    capture = DataCapture(sampling_percentage=percentage)
    assert_refused("capture percentages", "data_capture.sampling_percentage", repr(percentage), data_capture=capture)


def test_the_shared_defaults_alone_are_valid() -> None:
    # Each case above changes one prop of these defaults; they must build on their own.
    stack = new_stack()
    EIEndpoint(stack, "Endpoint", image=IMAGE, variants=[variant()])
    assertions.Template.from_stack(stack).resource_count_is("AWS::SageMaker::Endpoint", 1)


def test_a_fraction_of_a_second_of_cooldown_is_refused() -> None:
    scaling = VariantAutoscaling(
        min_instance_count=1,
        max_instance_count=2,
        target_invocations_per_instance=10,
        scale_in_cooldown=cdk.Duration.millis(2500),
    )
    assert_refused(
        "scaling bounds",
        "variants[0].autoscaling.scale_in_cooldown",
        "2.5 seconds",
        variants=[variant(autoscaling=scaling)],
    )
