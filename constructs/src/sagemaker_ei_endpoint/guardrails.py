"""Deployment guardrails: how an endpoint update shifts traffic, and the alarms that roll it back."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker

MAX_ROLLBACK_ALARMS = 10
Endpoint = sagemaker.CfnEndpoint


class TrafficShiftType(enum.Enum):
    ALL_AT_ONCE = "ALL_AT_ONCE"
    CANARY = "CANARY"
    LINEAR = "LINEAR"


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """How a blue/green update moves traffic to the new fleet; build with the class methods."""

    type: TrafficShiftType
    percent: int | None = None
    wait_seconds: int = 0

    @classmethod
    def all_at_once(cls, *, wait_seconds: int = 0) -> TrafficShift:
        return cls(type=TrafficShiftType.ALL_AT_ONCE, wait_seconds=wait_seconds)

    @classmethod
    def canary(cls, *, percent: int, wait_seconds: int) -> TrafficShift:
        """``percent`` of capacity first (1 to 50), the rest after ``wait_seconds`` (0 to 3600)."""
        return cls(type=TrafficShiftType.CANARY, percent=percent, wait_seconds=wait_seconds)

    @classmethod
    def linear(cls, *, percent: int, wait_seconds: int) -> TrafficShift:
        """Steps of ``percent`` of capacity (10 to 50), ``wait_seconds`` (0 to 3600) apart."""
        return cls(type=TrafficShiftType.LINEAR, percent=percent, wait_seconds=wait_seconds)


@dataclass(frozen=True, kw_only=True)
class BlueGreenUpdate:
    """A new fleet is provisioned and traffic shifted to it; the old one is kept for ``termination_wait_seconds``."""

    traffic_shift: TrafficShift
    termination_wait_seconds: int = 600
    maximum_execution_timeout_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class RollingUpdate:
    """Instances are replaced in batches of ``batch_percent`` of capacity (5 to 50); one variant only."""

    batch_percent: int
    wait_seconds: int
    rollback_batch_percent: int | None = None
    maximum_execution_timeout_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class DeploymentGuardrails:
    """Blue/green or rolling updates with automatic rollback on CloudWatch alarms.

    The construct creates, per variant, an alarm on 5XX errors and one on model latency, and
    rolls back when any of them or of ``extra_alarms`` fires (at most 10 alarms in all).

    :param latency_threshold_ms: average ModelLatency that trips the latency alarm; default 1000.
    :param error_threshold: Invocation5XXErrors per minute that trip the error alarm; default 1.
    """

    update: BlueGreenUpdate | RollingUpdate
    latency_threshold_ms: int = 1000
    error_threshold: int = 1
    extra_alarms: Sequence[cloudwatch.IAlarm] = field(default=())

    def describe(self) -> str:
        """A short description for messages, e.g. "blue/green LINEAR 50 % every 300 s"."""
        update = self.update
        if isinstance(update, RollingUpdate):
            return f"rolling update in {update.batch_percent} % batches"
        shift = update.traffic_shift
        step = f" {shift.percent} %" if shift.percent is not None else ""
        return f"blue/green {shift.type.value}{step} (wait {shift.wait_seconds} s)"

    def problems(self, variant_count: int) -> list[str]:
        problems: list[str] = []

        def check(name: str, value: int | None, low: int, high: int) -> None:
            if (
                value is not None
                and not cdk.Token.is_unresolved(value)
                and not (isinstance(value, int) and low <= value <= high)
            ):
                problems.append(f"deployment.{name}: expected {low} to {high}, got {value!r}")

        update = self.update
        if isinstance(update, BlueGreenUpdate):
            shift = update.traffic_shift
            check("update.traffic_shift.wait_seconds", shift.wait_seconds, 0, 3600)
            if shift.type is TrafficShiftType.CANARY:
                check("update.traffic_shift.percent", shift.percent, 1, 50)
            elif shift.type is TrafficShiftType.LINEAR:
                check("update.traffic_shift.percent", shift.percent, 10, 50)
            if shift.type is not TrafficShiftType.ALL_AT_ONCE and shift.percent is None:
                problems.append(f"deployment.update.traffic_shift.percent: required for {shift.type.value}")
            check("update.termination_wait_seconds", update.termination_wait_seconds, 0, 3600)
            check("update.maximum_execution_timeout_seconds", update.maximum_execution_timeout_seconds, 600, 14400)
        elif isinstance(update, RollingUpdate):
            check("update.batch_percent", update.batch_percent, 5, 50)
            check("update.rollback_batch_percent", update.rollback_batch_percent, 5, 100)
            check("update.wait_seconds", update.wait_seconds, 0, 3600)
            check("update.maximum_execution_timeout_seconds", update.maximum_execution_timeout_seconds, 600, 28800)
            if variant_count > 1:
                problems.append(
                    f"deployment.update: SageMaker rolling updates take one variant, got {variant_count}; "
                    "use BlueGreenUpdate"
                )
        else:
            problems.append(f"deployment.update: expected BlueGreenUpdate or RollingUpdate, got {update!r}")
        check("latency_threshold_ms", self.latency_threshold_ms, 1, 3_600_000)
        check("error_threshold", self.error_threshold, 1, 1_000_000)
        alarms = 2 * variant_count + len(self.extra_alarms)
        if alarms > MAX_ROLLBACK_ALARMS:
            problems.append(
                f"deployment.extra_alarms: SageMaker takes at most {MAX_ROLLBACK_ALARMS} rollback alarms; "
                f"{variant_count} variant(s) bring {2 * variant_count} and {len(self.extra_alarms)} were added"
            )
        return problems

    def deployment_config(self, alarms: Sequence[cloudwatch.IAlarm]) -> Endpoint.DeploymentConfigProperty:
        rollback = Endpoint.AutoRollbackConfigProperty(
            alarms=[Endpoint.AlarmProperty(alarm_name=a.alarm_name) for a in [*alarms, *self.extra_alarms]]
        )
        update = self.update
        if isinstance(update, RollingUpdate):
            return Endpoint.DeploymentConfigProperty(
                auto_rollback_configuration=rollback,
                rolling_update_policy=Endpoint.RollingUpdatePolicyProperty(
                    maximum_batch_size=_capacity(update.batch_percent),
                    rollback_maximum_batch_size=_capacity(update.rollback_batch_percent)
                    if update.rollback_batch_percent
                    else None,
                    wait_interval_in_seconds=update.wait_seconds,
                    maximum_execution_timeout_in_seconds=update.maximum_execution_timeout_seconds,
                ),
            )
        shift = update.traffic_shift
        step = _capacity(shift.percent) if shift.percent is not None else None
        return Endpoint.DeploymentConfigProperty(
            auto_rollback_configuration=rollback,
            blue_green_update_policy=Endpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=Endpoint.TrafficRoutingConfigProperty(
                    type=shift.type.value,
                    wait_interval_in_seconds=shift.wait_seconds,
                    canary_size=step if shift.type is TrafficShiftType.CANARY else None,
                    linear_step_size=step if shift.type is TrafficShiftType.LINEAR else None,
                ),
                termination_wait_in_seconds=update.termination_wait_seconds,
                maximum_execution_timeout_in_seconds=update.maximum_execution_timeout_seconds,
            ),
        )


def _capacity(percent: int) -> Endpoint.CapacitySizeProperty:
    return Endpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=percent)
