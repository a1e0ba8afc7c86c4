"""Property-based: generated invalid props are all refused, naming the field, with no template made.

The number of generated cases is printed at the end of the pytest run.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from aws_cdk import assertions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sagemaker_ei_endpoint import (
    AcceleratorType,
    BlueGreenUpdate,
    ContainerImage,
    DataCapture,
    DeploymentGuardrails,
    EIEndpoint,
    EIEndpointPropsError,
    EIFramework,
    RollingUpdate,
    TrafficShift,
    VariantAutoscaling,
)
from tests.conftest import new_stack, variant

CASES: Counter[str] = Counter()
IMAGE = ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.3")
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
EI_SIZES = {a.name for a in AcceleratorType.all()}
PROFILE = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


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


@PROFILE
@given(name=st.text(min_size=0, max_size=20).filter(lambda n: n not in EI_SIZES and "${Token" not in n))
def test_unknown_accelerators_are_refused(name: str) -> None:
    CASES["accelerators"] += 1
    with pytest.raises(ValueError, match=r"^accelerator_type: unknown Elastic Inference accelerator") as error:
        AcceleratorType.of(name)
    assert repr(name) in str(error.value)


@PROFILE
@given(count=st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.just(True) | st.just(False)))
def test_bad_instance_counts_are_refused(count: Any) -> None:
    if isinstance(count, bool):
        count = int(count) - 1  # True/False stand for 0 and -1 here: bool is an int in Python
    assert_refused(
        "counts", "variants[0].initial_instance_count", repr(count), variants=[variant(initial_instance_count=count)]
    )


@PROFILE
@given(weight=st.one_of(st.floats(max_value=-1e-12), st.just(float("nan")), st.just(float("inf"))))
def test_bad_weights_are_refused(weight: float) -> None:
    assert_refused(
        "weights", "variants[0].initial_variant_weight", repr(weight), variants=[variant(initial_variant_weight=weight)]
    )


@PROFILE
@given(name=st.text(max_size=70).filter(lambda n: not NAME.match(n) and "${Token" not in n))
def test_bad_variant_names_are_refused(name: str) -> None:
    assert_refused("names", "variants[0].variant_name", repr(name), variants=[variant(name)])


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


GUARDRAILS = st.one_of(
    _out_of(1, 50).map(lambda p: ("update.traffic_shift.percent", p, TrafficShift.canary(percent=p, wait_seconds=60))),
    _out_of(10, 50).map(lambda p: ("update.traffic_shift.percent", p, TrafficShift.linear(percent=p, wait_seconds=60))),
    _out_of(0, 3600).map(
        lambda w: ("update.traffic_shift.wait_seconds", w, TrafficShift.canary(percent=10, wait_seconds=w))
    ),
).map(lambda c: (c[0], c[1], BlueGreenUpdate(traffic_shift=c[2])))
ROLLING = st.one_of(
    _out_of(5, 50).map(lambda b: ("update.batch_percent", b, RollingUpdate(batch_percent=b, wait_seconds=60))),
    _out_of(0, 3600).map(lambda w: ("update.wait_seconds", w, RollingUpdate(batch_percent=10, wait_seconds=w))),
)
TERMINATION = _out_of(0, 3600).map(
    lambda t: (
        "update.termination_wait_seconds",
        t,
        BlueGreenUpdate(traffic_shift=TrafficShift.all_at_once(), termination_wait_seconds=t),
    )
)


@PROFILE
@given(case=st.one_of(GUARDRAILS, ROLLING, TERMINATION))
def test_bad_guardrail_settings_are_refused(case: tuple[str, int, BlueGreenUpdate | RollingUpdate]) -> None:
    field, value, update = case
    assert_refused(
        "guardrail settings", f"deployment.{field}", repr(value), deployment=DeploymentGuardrails(update=update)
    )


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
