"""EndpointDashboard: one CloudWatch dashboard for a set of endpoints, per endpoint and per variant.

Per endpoint: a heading; a row of graphs with one line per variant (invocations, 4XX and 5XX errors,
model and overhead latency, invocations per instance); a utilization graph per variant (CPU, memory,
disk, GPU, GPU memory); and the state of its rollback alarms where it has any. The graphs come from the
endpoints' own metric helpers (metrics.py), so their namespaces and dimensions are the ones SageMaker
publishes. The dashboard's name is left to CloudFormation unless given: names are unique per account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import aws_cdk as cdk
from constructs import Construct

from .errors import EIEndpointPropsError
from .metrics import IEIEndpoint, MetricOptions

if TYPE_CHECKING:
    from aws_cdk import aws_cloudwatch as cloudwatch

GRID_WIDTH = 24  # CloudWatch's dashboard grid
GRAPH_WIDTH = 6
GRAPH_HEIGHT = 6
# A metric helper of IEIEndpoint, e.g. endpoint.metric_invocations.
MetricHelper = Callable[..., "cloudwatch.Metric"]


class EndpointDashboard(Construct):
    """A CloudWatch dashboard of ``endpoints`` (EIEndpoints or imports given ``variant_names``).

    :param endpoints: the endpoints, in the order they are shown.
    :param dashboard_name: Default: CloudFormation generates a unique name.
    :param period: of every graph. Default: 5 minutes (SageMaker publishes every minute).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoints: Sequence[IEIEndpoint],
        dashboard_name: str | None = None,
        period: cdk.Duration | None = None,
    ) -> None:
        problems = [
            f"endpoints[{i}]: imported without variant_names; the dashboard graphs each variant"
            for i, endpoint in enumerate(endpoints)
            if not endpoint.variant_names
        ]
        if not endpoints:
            problems.append("endpoints: expected at least one endpoint, got none")
        if problems:
            raise EIEndpointPropsError(problems)
        super().__init__(scope, construct_id)
        # Loaded only where a dashboard is built.
        from aws_cdk import aws_cloudwatch as cloudwatch

        # Every graph's period; CloudWatch's default (5 minutes) unless given.
        self.options: MetricOptions = {"period": period} if period is not None else {}
        self.dashboard = cloudwatch.Dashboard(self, "Resource", dashboard_name=dashboard_name)
        for endpoint in endpoints:
            for row in self._endpoint_rows(endpoint):
                self.dashboard.add_widgets(*row)

    def _options(self, label: str) -> MetricOptions:
        return {**self.options, "label": label}

    def _endpoint_rows(self, endpoint: IEIEndpoint) -> list[list[cloudwatch.IWidget]]:
        from aws_cdk import aws_cloudwatch as cloudwatch

        variants = endpoint.variant_names
        label = endpoint.node.id if isinstance(endpoint, Construct) else endpoint.endpoint_name
        heading = cloudwatch.TextWidget(
            markdown=f"### {label}\nvariants: {', '.join(variants)}", width=GRID_WIDTH, height=2
        )

        def graph(title: str, unit: str, lines: list[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=title,
                width=GRAPH_WIDTH,
                height=GRAPH_HEIGHT,
                left_y_axis=cloudwatch.YAxisProps(label=unit, show_units=False, min=0),
                left=lines,
            )

        def per_variant(*series: tuple[MetricHelper, str]) -> list[cloudwatch.IMetric]:
            """A line per variant and per (metric helper, label) of ``series``."""
            return [
                helper(variant_name=v, **self._options(f"{v} {name}".strip()))
                for v in variants
                for helper, name in series
            ]

        e = endpoint
        traffic = [
            graph("Invocations", "count", per_variant((e.metric_invocations, ""))),
            graph(
                "Errors",
                "count",
                per_variant((e.metric_invocation_4xx_errors, "4XX"), (e.metric_invocation_5xx_errors, "5XX")),
            ),
            graph(
                "Latency",
                "microseconds",
                per_variant((e.metric_model_latency, "model"), (e.metric_overhead_latency, "overhead")),
            ),
            graph("Invocations per instance", "count", per_variant((e.metric_invocations_per_instance, ""))),
        ]
        utilization = [
            graph(
                f"Utilization: {v}",
                "percent",
                [
                    helper(variant_name=v, **self._options(name))
                    for helper, name in (
                        (e.metric_cpu_utilization, "CPU"),
                        (e.metric_memory_utilization, "memory"),
                        (e.metric_disk_utilization, "disk"),
                        (e.metric_gpu_utilization, "GPU"),
                        (e.metric_gpu_memory_utilization, "GPU memory"),
                    )
                ],
            )
            for v in variants
        ]
        rows: list[list[cloudwatch.IWidget]] = [[heading], list(traffic), list(utilization)]
        alarms = endpoint.rollback_alarms
        if alarms:
            rows.append([cloudwatch.AlarmStatusWidget(title="Rollback alarms", alarms=list(alarms), width=GRID_WIDTH)])
        return rows
