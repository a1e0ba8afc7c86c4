"""Deployment guardrails: how an endpoint update shifts traffic, and the alarms that roll it back.

Ranges are SageMaker's (API reference: TrafficRoutingConfig, BlueGreenUpdatePolicy, RollingUpdatePolicy,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeploymentConfig.html).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker

from .tokens import is_known

MAX_ROLLBACK_ALARMS = 10
Endpoint = sagemaker.CfnEndpoint


class TrafficShiftType(enum.Enum):
    ALL_AT_ONCE = "ALL_AT_ONCE"
    CANARY = "CANARY"
    LINEAR = "LINEAR"


def _seconds(duration: cdk.Duration | None) -> int | None:
    return None if duration is None else int(duration.to_seconds())


class _Problems:
    """Collects range problems of known values, each naming its field under ``deployment.``."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def check(self, name: str, value: int | None, low: int, high: int) -> None:
        if value is None or not is_known(value):
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.found.append(f"deployment.{name}: expected {low} to {high}, got {value!r}")

    def seconds(self, name: str, duration: cdk.Duration | None, low: int, high: int) -> None:
        if duration is not None and not duration.is_unresolved():
            value = duration.to_seconds(integral=False)
            if not (value == int(value) and low <= value <= high):
                self.found.append(f"deployment.{name}: expected {low} to {high} seconds, got {value!r} seconds")


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """How a blue/green update moves traffic to the new fleet; build with the class methods."""

    type: TrafficShiftType
    percent: int | None = None
    wait: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(0))

    @classmethod
    def all_at_once(cls, *, wait: cdk.Duration | None = None) -> TrafficShift:
        """All traffic at once, then ``wait`` (0 to 3600 s) of baking before the old fleet goes."""
        return cls(type=TrafficShiftType.ALL_AT_ONCE, wait=wait or cdk.Duration.seconds(0))

    @classmethod
    def canary(cls, *, percent: int, wait: cdk.Duration) -> TrafficShift:
        """``percent`` of capacity first (1 to 50), the rest after ``wait`` (0 to 3600 s)."""
        return cls(type=TrafficShiftType.CANARY, percent=percent, wait=wait)

    @classmethod
    def linear(cls, *, percent: int, wait: cdk.Duration) -> TrafficShift:
        """Steps of ``percent`` of capacity (10 to 50), ``wait`` (0 to 3600 s) apart."""
        return cls(type=TrafficShiftType.LINEAR, percent=percent, wait=wait)

    def describe(self) -> str:
        step = f" {self.percent} %" if self.percent is not None else ""
        return f"blue/green {self.type.value}{step} (wait {self.wait.to_seconds():g} s)"


class _UpdatePolicy(abc.ABC):
    @abc.abstractmethod
    def describe(self) -> str: ...

    @abc.abstractmethod
    def check(self, problems: _Problems, variant_count: int) -> None: ...

    @abc.abstractmethod
    def deployment_config(self, rollback: Endpoint.AutoRollbackConfigProperty) -> Endpoint.DeploymentConfigProperty: ...


@dataclass(frozen=True)
class _BlueGreen(_UpdatePolicy):
    shift: TrafficShift
    termination_wait: cdk.Duration
    maximum_execution_timeout: cdk.Duration | None

    def describe(self) -> str:
        return self.shift.describe()

    def check(self, problems: _Problems, variant_count: int) -> None:
        shift = self.shift
        problems.seconds("traffic_shift.wait", shift.wait, 0, 3600)
        if shift.type is TrafficShiftType.CANARY:
            problems.check("traffic_shift.percent", shift.percent, 1, 50)
        elif shift.type is TrafficShiftType.LINEAR:
            problems.check("traffic_shift.percent", shift.percent, 10, 50)
        if shift.type is not TrafficShiftType.ALL_AT_ONCE and shift.percent is None:
            problems.found.append(f"deployment.traffic_shift.percent: required for {shift.type.value}")
        problems.seconds("termination_wait", self.termination_wait, 0, 3600)
        problems.seconds("maximum_execution_timeout", self.maximum_execution_timeout, 600, 14400)

    def deployment_config(self, rollback: Endpoint.AutoRollbackConfigProperty) -> Endpoint.DeploymentConfigProperty:
        shift = self.shift
        step = _capacity(shift.percent) if shift.percent is not None else None
        return Endpoint.DeploymentConfigProperty(
            auto_rollback_configuration=rollback,
            blue_green_update_policy=Endpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=Endpoint.TrafficRoutingConfigProperty(
                    type=shift.type.value,
                    wait_interval_in_seconds=_seconds(shift.wait),
                    canary_size=step if shift.type is TrafficShiftType.CANARY else None,
                    linear_step_size=step if shift.type is TrafficShiftType.LINEAR else None,
                ),
                termination_wait_in_seconds=_seconds(self.termination_wait),
                maximum_execution_timeout_in_seconds=_seconds(self.maximum_execution_timeout),
            ),
        )


@dataclass(frozen=True)
class _Rolling(_UpdatePolicy):
    batch_percent: int
    wait: cdk.Duration
    rollback_batch_percent: int | None
    maximum_execution_timeout: cdk.Duration | None

    def describe(self) -> str:
        return f"rolling update in {self.batch_percent} % batches"

    def check(self, problems: _Problems, variant_count: int) -> None:
        problems.check("batch_percent", self.batch_percent, 5, 50)
        problems.check("rollback_batch_percent", self.rollback_batch_percent, 5, 100)
        problems.seconds("wait", self.wait, 0, 3600)
        problems.seconds("maximum_execution_timeout", self.maximum_execution_timeout, 600, 28800)
        if variant_count > 1:
            # SageMaker developer guide, deployment guardrails "Exclusions": rolling deployments
            # exclude multi-variant endpoints.
            problems.found.append(
                f"deployment: SageMaker rolling updates take one variant, got {variant_count}; use "
                "DeploymentGuardrails.blue_green"
            )

    def deployment_config(self, rollback: Endpoint.AutoRollbackConfigProperty) -> Endpoint.DeploymentConfigProperty:
        return Endpoint.DeploymentConfigProperty(
            auto_rollback_configuration=rollback,
            rolling_update_policy=Endpoint.RollingUpdatePolicyProperty(
                maximum_batch_size=_capacity(self.batch_percent),
                rollback_maximum_batch_size=_capacity(self.rollback_batch_percent)
                if self.rollback_batch_percent
                else None,
                wait_interval_in_seconds=int(self.wait.to_seconds()),
                maximum_execution_timeout_in_seconds=_seconds(self.maximum_execution_timeout),
            ),
        )


@dataclass(frozen=True)
class DeploymentGuardrails:
    """Blue/green or rolling updates with automatic rollback on CloudWatch alarms; build with
    ``blue_green`` or ``rolling``.

    The construct creates, per variant, an alarm on 5XX errors and one on model latency, and
    rolls back when any of them or of ``extra_alarms`` fires (at most 10 alarms in all).
    """

    policy: _UpdatePolicy
    latency_threshold_ms: int = 1000
    error_threshold: int = 1
    extra_alarms: Sequence[cloudwatch.IAlarm] = ()

    @classmethod
    def blue_green(
        cls,
        traffic_shift: TrafficShift,
        *,
        termination_wait: cdk.Duration | None = None,
        maximum_execution_timeout: cdk.Duration | None = None,
        latency_threshold_ms: int = 1000,
        error_threshold: int = 1,
        extra_alarms: Sequence[cloudwatch.IAlarm] = (),
    ) -> DeploymentGuardrails:
        """A new fleet is provisioned and traffic shifted to it; the old one is kept for
        ``termination_wait`` (default 10 minutes, at most one hour).

        :param latency_threshold_ms: average ModelLatency that trips the latency alarm; default 1000.
        :param error_threshold: Invocation5XXErrors per minute that trip the error alarm; default 1.
        """
        return cls(
            _BlueGreen(traffic_shift, termination_wait or cdk.Duration.minutes(10), maximum_execution_timeout),
            latency_threshold_ms,
            error_threshold,
            tuple(extra_alarms),
        )

    @classmethod
    def rolling(
        cls,
        *,
        batch_percent: int,
        wait: cdk.Duration,
        rollback_batch_percent: int | None = None,
        maximum_execution_timeout: cdk.Duration | None = None,
        latency_threshold_ms: int = 1000,
        error_threshold: int = 1,
        extra_alarms: Sequence[cloudwatch.IAlarm] = (),
    ) -> DeploymentGuardrails:
        """Instances are replaced in batches of ``batch_percent`` of capacity (5 to 50); one variant only."""
        return cls(
            _Rolling(batch_percent, wait, rollback_batch_percent, maximum_execution_timeout),
            latency_threshold_ms,
            error_threshold,
            tuple(extra_alarms),
        )

    def describe(self) -> str:
        """A short description for messages, e.g. "blue/green LINEAR 50 % (wait 300 s)"."""
        return self.policy.describe()

    def problems(self, variant_count: int) -> list[str]:
        problems = _Problems()
        if not isinstance(self.policy, _UpdatePolicy):
            return [f"deployment: build it with DeploymentGuardrails.blue_green or .rolling, got {self.policy!r}"]
        self.policy.check(problems, variant_count)
        problems.check("latency_threshold_ms", self.latency_threshold_ms, 1, 3_600_000)
        problems.check("error_threshold", self.error_threshold, 1, 1_000_000)
        alarms = 2 * variant_count + len(self.extra_alarms)
        if alarms > MAX_ROLLBACK_ALARMS:
            problems.found.append(
                f"deployment.extra_alarms: SageMaker takes at most {MAX_ROLLBACK_ALARMS} rollback alarms; "
                f"{variant_count} variant(s) bring {2 * variant_count} and {len(self.extra_alarms)} were added"
            )
        return problems.found

    def deployment_config(self, alarms: Sequence[cloudwatch.IAlarm]) -> Endpoint.DeploymentConfigProperty:
        rollback = Endpoint.AutoRollbackConfigProperty(
            alarms=[Endpoint.AlarmProperty(alarm_name=a.alarm_name) for a in [*alarms, *self.extra_alarms]]
        )
        return self.policy.deployment_config(rollback)


def _capacity(percent: int) -> Endpoint.CapacitySizeProperty:
    return Endpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=percent)
