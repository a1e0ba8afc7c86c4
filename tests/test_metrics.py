"""Every metric helper: SageMaker's namespace, name and dimensions, its default statistic, and the overrides."""

from __future__ import annotations

import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_ei_endpoint.metrics import ENDPOINT_METRICS, INSTANCE_NAMESPACE, INVOCATION_NAMESPACE
from tests.conftest import EndpointFactory, variant

ROOT = Path(__file__).resolve().parent.parent
# What "Monitor Amazon SageMaker with Amazon CloudWatch" lists, written out here rather than read from the
# module, so a wrong namespace or name in metrics.py fails: (helper, namespace, metric, statistic).
DOCUMENTED = [
    ("metric_invocations", "AWS/SageMaker", "Invocations", "Sum"),
    ("metric_invocations_per_instance", "AWS/SageMaker", "InvocationsPerInstance", "Sum"),
    ("metric_model_latency", "AWS/SageMaker", "ModelLatency", "Average"),
    ("metric_overhead_latency", "AWS/SageMaker", "OverheadLatency", "Average"),
    ("metric_invocation_4xx_errors", "AWS/SageMaker", "Invocation4XXErrors", "Sum"),
    ("metric_invocation_5xx_errors", "AWS/SageMaker", "Invocation5XXErrors", "Sum"),
    ("metric_cpu_utilization", "/aws/sagemaker/Endpoints", "CPUUtilization", "Average"),
    ("metric_memory_utilization", "/aws/sagemaker/Endpoints", "MemoryUtilization", "Average"),
    ("metric_disk_utilization", "/aws/sagemaker/Endpoints", "DiskUtilization", "Average"),
    ("metric_gpu_utilization", "/aws/sagemaker/Endpoints", "GPUUtilization", "Average"),
    ("metric_gpu_memory_utilization", "/aws/sagemaker/Endpoints", "GPUMemoryUtilization", "Average"),
]


@pytest.mark.parametrize(("helper", "namespace", "name", "statistic"), DOCUMENTED)
def test_each_helper_reads_sagemakers_metric_of_one_variant(
    make_endpoint: EndpointFactory, helper: str, namespace: str, name: str, statistic: str
) -> None:
    stack, endpoint = make_endpoint(variants=[variant("Blue"), variant("Green")], endpoint_name="scoring")
    metric: cloudwatch.Metric = getattr(endpoint, helper)(variant_name="Green")
    assert (metric.namespace, metric.metric_name, metric.statistic) == (namespace, name, statistic)
    assert stack.resolve(metric.dimensions) == {"EndpointName": "scoring", "VariantName": "Green"}
    assert metric.period.to_seconds() == 300  # CloudWatch's default: nothing is set that was not asked for
    assert metric.unit is None  # a unit would filter the data SageMaker publishes


@pytest.mark.parametrize(("helper", "namespace", "name", "statistic"), DOCUMENTED)
def test_every_option_of_a_helper_reaches_the_metric(
    make_endpoint: EndpointFactory, helper: str, namespace: str, name: str, statistic: str
) -> None:
    stack, endpoint = make_endpoint()
    metric: cloudwatch.Metric = getattr(endpoint, helper)(
        period=cdk.Duration.minutes(1),
        statistic="p99",
        label="tail",
        color="#ff0000",
        unit=cloudwatch.Unit.COUNT,
        dimensions_map={"Extra": "x"},
        account="210987654321",
        region="eu-west-1",
    )
    assert (metric.namespace, metric.metric_name) == (namespace, name)
    assert (metric.period.to_seconds(), metric.statistic, metric.label, metric.color) == (60, "p99", "tail", "#ff0000")
    assert (metric.unit, metric.account, metric.region) == (cloudwatch.Unit.COUNT, "210987654321", "eu-west-1")
    assert set(stack.resolve(metric.dimensions)) == {"EndpointName", "VariantName", "Extra"}


def test_the_helpers_are_the_documented_metrics_and_nothing_else() -> None:
    helpers = {name for name in dir(_endpoint_class()) if name.startswith("metric_")}
    assert helpers == {h for h, *_ in DOCUMENTED}
    assert [(m.namespace, m.name, m.statistic) for m in ENDPOINT_METRICS] == [(n, m, s) for _, n, m, s in DOCUMENTED]


def test_the_construct_readme_lists_every_metric_with_its_namespace_and_unit() -> None:
    readme = (ROOT / "constructs" / "README.md").read_text()
    for metric in ENDPOINT_METRICS:
        row = re.search(
            rf"^\| `metric_\w+` \| `{metric.namespace}` \| `{metric.name}` \| (\w+) \| (\w+) \|", readme, re.M
        )
        assert row is not None, metric.name
        assert row.groups() == (metric.statistic, metric.unit)


def test_metric_without_a_variant_of_a_multi_variant_endpoint_is_refused(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint(variants=[variant("Blue"), variant("Green")])
    with pytest.raises(ValueError, match=r"variant_name: expected one of \['Blue', 'Green'\], got 'Red'"):
        endpoint.metric_cpu_utilization(variant_name="Red")


def test_dimensions_map_may_not_replace_the_endpoint_or_the_variant(make_endpoint: EndpointFactory) -> None:
    _, endpoint = make_endpoint()
    with pytest.raises(ValueError, match=r"dimensions_map: VariantName come from the endpoint and variant_name"):
        endpoint.metric_invocations(dimensions_map={"VariantName": "Other"})


def test_generic_metric_keeps_its_former_defaults_and_takes_the_instance_namespace(
    make_endpoint: EndpointFactory,
) -> None:
    _, endpoint = make_endpoint()
    assert (endpoint.metric("Invocations").namespace, endpoint.metric("Invocations").statistic) == (
        INVOCATION_NAMESPACE,
        "Sum",
    )
    loaded = endpoint.metric("LoadedModelCount", namespace=INSTANCE_NAMESPACE, statistic="Average")
    assert (loaded.namespace, loaded.metric_name, loaded.statistic) == (
        INSTANCE_NAMESPACE,
        "LoadedModelCount",
        "Average",
    )


def test_metric_helpers_add_nothing_to_the_template(make_endpoint: EndpointFactory) -> None:
    stack, endpoint = make_endpoint()
    before = cdk.assertions.Template.from_stack(stack).to_json()
    for helper, *_ in DOCUMENTED:
        getattr(endpoint, helper)()
    assert cdk.assertions.Template.from_stack(stack).to_json() == before


def _endpoint_class() -> type:
    from sagemaker_ei_endpoint import EIEndpoint

    return EIEndpoint
