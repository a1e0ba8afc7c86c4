"""What an EIEndpoint and an imported endpoint share: their names, ``grant_invoke`` and their CloudWatch metrics.

SageMaker publishes a real-time endpoint's metrics per production variant, with the dimensions
EndpointName and VariantName, in two namespaces: the invocation metrics in ``AWS/SageMaker`` and the
instance utilization metrics in ``/aws/sagemaker/Endpoints`` (SageMaker developer guide, "Monitor Amazon
SageMaker with Amazon CloudWatch", https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html).
Units are the page's; they are documented here, not set on the metrics: a metric's unit filters the
data CloudWatch returns, and a unit that does not match what SageMaker publishes would show nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, Unpack

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from . import api_constraints

if TYPE_CHECKING:
    from aws_cdk import aws_cloudwatch as cloudwatch

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
DIMENSIONS = ("EndpointName", "VariantName")


@dataclass(frozen=True)
class EndpointMetric:
    """One metric SageMaker publishes per variant, with the statistic its helper uses by default."""

    namespace: str
    name: str
    statistic: str
    unit: str  # as documented by AWS


_INV, _INST = INVOCATION_NAMESPACE, INSTANCE_NAMESPACE
# Every helper's metric, in the order of the docs' table (tests hold the two together):
# namespace, name, default statistic, unit.
ENDPOINT_METRICS = (
    INVOCATIONS := EndpointMetric(_INV, "Invocations", "Sum", "None"),
    INVOCATIONS_PER_INSTANCE := EndpointMetric(_INV, "InvocationsPerInstance", "Sum", "None"),
    MODEL_LATENCY := EndpointMetric(_INV, "ModelLatency", "Average", "Microseconds"),
    OVERHEAD_LATENCY := EndpointMetric(_INV, "OverheadLatency", "Average", "Microseconds"),
    INVOCATION_4XX_ERRORS := EndpointMetric(_INV, "Invocation4XXErrors", "Sum", "None"),
    INVOCATION_5XX_ERRORS := EndpointMetric(_INV, "Invocation5XXErrors", "Sum", "None"),
    CPU_UTILIZATION := EndpointMetric(_INST, "CPUUtilization", "Average", "Percent"),
    MEMORY_UTILIZATION := EndpointMetric(_INST, "MemoryUtilization", "Average", "Percent"),
    DISK_UTILIZATION := EndpointMetric(_INST, "DiskUtilization", "Average", "Percent"),
    GPU_UTILIZATION := EndpointMetric(_INST, "GPUUtilization", "Average", "Percent"),
    GPU_MEMORY_UTILIZATION := EndpointMetric(_INST, "GPUMemoryUtilization", "Average", "Percent"),
)


class MetricOptions(TypedDict, total=False):
    """CloudWatch's MetricOptions, as keyword arguments of every metric helper."""

    account: str
    color: str
    dimensions_map: Mapping[str, str]  # added to EndpointName and VariantName
    id: str
    label: str
    period: cdk.Duration
    region: str
    stack_account: str
    stack_region: str
    statistic: str
    unit: cloudwatch.Unit
    visible: bool


class IEIEndpoint:
    """An endpoint: an ``EIEndpoint`` or one imported with ``EIEndpoint.from_endpoint_name`` / ``_arn`` /
    ``_attributes``. Both let a principal invoke it and give its metrics per variant.

    ``variant_names`` are the variants the metrics and dashboards know (those an import was given).
    """

    endpoint_name: str
    endpoint_arn: str

    @property
    def variant_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def rollback_alarms(self) -> tuple[cloudwatch.IAlarm, ...]:
        """The alarms that roll back this endpoint's deployments; none for an import."""
        return ()

    @property
    def production_variant_names(self) -> tuple[str, ...]:
        """The variants that serve traffic; a metric without ``variant_name`` reads the only one."""
        return self.variant_names

    def _dimension_endpoint_name(self) -> str:
        """The EndpointName dimension: the endpoint's name, known at synth time where it can be."""
        return self.endpoint_name

    def _metric_defaults(self) -> MetricOptions:
        """Options every metric starts from (an import in another account or region sets them)."""
        return {}

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call sagemaker:InvokeEndpoint on this endpoint, and on nothing else."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    def metric(
        self,
        metric_name: str,
        *,
        variant_name: str | None = None,
        namespace: str = INVOCATION_NAMESPACE,
        **options: Unpack[MetricOptions],
    ) -> cloudwatch.Metric:
        """Any metric SageMaker publishes for one variant; Sum unless ``statistic`` says otherwise.

        :param variant_name: Default: the only variant; required when there are several.
        :param namespace: ``AWS/SageMaker`` (invocations) or ``/aws/sagemaker/Endpoints`` (instances).
        """
        return self._metric(EndpointMetric(namespace, metric_name, "Sum", ""), variant_name, options)

    def metric_invocations(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """InvokeEndpoint requests sent to the variant; Sum."""
        return self._metric(INVOCATIONS, variant_name, options)

    def metric_invocations_per_instance(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Invocations normalized by the variant's instance count (what target tracking scales on); Sum."""
        return self._metric(INVOCATIONS_PER_INSTANCE, variant_name, options)

    def metric_model_latency(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Model latency in microseconds; Average."""
        return self._metric(MODEL_LATENCY, variant_name, options)

    def metric_overhead_latency(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Latency SageMaker adds to the model's, in microseconds; Average."""
        return self._metric(OVERHEAD_LATENCY, variant_name, options)

    def metric_invocation_4xx_errors(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Requests the model answered with a 4xx; Sum."""
        return self._metric(INVOCATION_4XX_ERRORS, variant_name, options)

    def metric_invocation_5xx_errors(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Requests the model answered with a 5xx; Sum."""
        return self._metric(INVOCATION_5XX_ERRORS, variant_name, options)

    def metric_cpu_utilization(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """CPU utilization in percent, summed over the cores (0-100 each); Average."""
        return self._metric(CPU_UTILIZATION, variant_name, options)

    def metric_memory_utilization(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Memory used by the containers, in percent; Average."""
        return self._metric(MEMORY_UTILIZATION, variant_name, options)

    def metric_disk_utilization(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """Disk space used by the containers, in percent; Average."""
        return self._metric(DISK_UTILIZATION, variant_name, options)

    def metric_gpu_utilization(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """GPU utilization in percent, summed over the GPUs (0-100 each); Average."""
        return self._metric(GPU_UTILIZATION, variant_name, options)

    def metric_gpu_memory_utilization(
        self, *, variant_name: str | None = None, **options: Unpack[MetricOptions]
    ) -> cloudwatch.Metric:
        """GPU memory used, in percent summed over the GPUs; Average."""
        return self._metric(GPU_MEMORY_UTILIZATION, variant_name, options)

    def _metric(self, spec: EndpointMetric, variant_name: str | None, options: MetricOptions) -> cloudwatch.Metric:
        # Loaded on the first metric: endpoints whose metrics nobody asks for never load CloudWatch's module.
        from aws_cdk import aws_cloudwatch as cloudwatch

        given: MetricOptions = {**self._metric_defaults(), **options}
        extra = dict(given.get("dimensions_map") or {})
        clash = sorted(set(extra) & set(DIMENSIONS))
        if clash:
            raise ValueError(
                f"dimensions_map: {', '.join(clash)} come from the endpoint and variant_name, got {extra!r}"
            )
        given["dimensions_map"] = {
            **extra,
            "EndpointName": self._dimension_endpoint_name(),
            "VariantName": self._variant(variant_name),
        }
        given.setdefault("statistic", spec.statistic)
        return cloudwatch.Metric(namespace=spec.namespace, metric_name=spec.name, **given)

    def _variant(self, variant_name: str | None) -> str:
        names = self.variant_names
        if variant_name is None and len(self.production_variant_names) == 1:
            return self.production_variant_names[0]
        if variant_name is not None and variant_name in names:
            return variant_name
        if variant_name is not None and not names:
            # An import that was not told its variants takes any valid variant name.
            problem = api_constraints.name_problem("variant_name", "variant_name", variant_name)
            if problem is None:
                return variant_name
            raise ValueError(problem)
        if not names:
            raise ValueError("variant_name: required for an endpoint imported without variant_names, got None")
        raise ValueError(f"variant_name: expected one of {list(names)}, got {variant_name!r}")


def variant_names_problems(path: str, names: Sequence[str]) -> list[str]:
    """Why ``names`` are not the distinct, valid variant names of one endpoint."""
    problems = [api_constraints.name_problem(f"{path}[{i}]", "variant_name", name) for i, name in enumerate(names)]
    found = [p for p in problems if p is not None]
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        found.append(f"{path}: duplicate names {duplicates}")
    return found
