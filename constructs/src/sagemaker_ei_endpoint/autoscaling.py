"""Application Auto Scaling of a production variant's instance count."""

from __future__ import annotations

from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from constructs import Construct

from .tokens import is_known

MAX_SCALING_INSTANCES = 1000
MAX_COOLDOWN_SECONDS = 3600


@dataclass(frozen=True, kw_only=True)
class VariantAutoscaling:
    """Target tracking on SageMakerVariantInvocationsPerInstance.

    :param min_instance_count: at least 1 and at most the variant's initial count.
    :param max_instance_count: at least the variant's initial count.
    :param target_invocations_per_instance: invocations per instance per minute to hold.
    :param scale_in_cooldown: default 5 minutes, at most one hour.
    :param scale_out_cooldown: default 1 minute, at most one hour.
    """

    min_instance_count: int
    max_instance_count: int
    target_invocations_per_instance: int
    scale_in_cooldown: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(5))
    scale_out_cooldown: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(1))

    def problems(self, path: str, initial_instance_count: int) -> list[str]:
        low, high, initial = self.min_instance_count, self.max_instance_count, initial_instance_count
        known = all(is_known(v) for v in (low, high, initial))
        problems = []
        counts = (low, high, initial)
        if known and (
            any(isinstance(v, bool) for v in counts) or not 1 <= low <= initial <= high <= MAX_SCALING_INSTANCES
        ):
            problems.append(
                f"{path}: expected 1 <= min_instance_count <= initial_instance_count <= max_instance_count "
                f"<= {MAX_SCALING_INSTANCES}, got min {low!r}, initial {initial!r}, max {high!r}"
            )
        target = self.target_invocations_per_instance
        if is_known(target) and not (isinstance(target, int | float) and target > 0):
            problems.append(f"{path}.target_invocations_per_instance: must be positive, got {target!r}")
        for name in ("scale_in_cooldown", "scale_out_cooldown"):
            duration: cdk.Duration = getattr(self, name)
            if not isinstance(duration, cdk.Duration):
                problems.append(f"{path}.{name}: expected a Duration, got {duration!r}")
            elif not duration.is_unresolved():
                seconds = duration.to_seconds(integral=False)
                if seconds != int(seconds) or not 0 <= seconds <= MAX_COOLDOWN_SECONDS:
                    problems.append(
                        f"{path}.{name}: expected 0 to {MAX_COOLDOWN_SECONDS} whole seconds, got {seconds!r} seconds"
                    )
        return problems

    def bind(
        self, scope: Construct, construct_id: str, *, endpoint_name: str, variant_name: str
    ) -> appscaling.CfnScalableTarget:
        # L1 on purpose: the L2 ScalableTarget always creates a role of its own, with no policy;
        # without RoleARN, Application Auto Scaling uses (and creates) its SageMaker service-linked role.
        target = appscaling.CfnScalableTarget(
            scope,
            construct_id,
            service_namespace="sagemaker",
            resource_id=f"endpoint/{endpoint_name}/variant/{variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=self.min_instance_count,
            max_capacity=self.max_instance_count,
        )
        appscaling.CfnScalingPolicy(
            scope,
            f"{construct_id}Policy",
            policy_name=f"{variant_name}-invocations-per-instance",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.ref,
            target_tracking_scaling_policy_configuration=appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=self.target_invocations_per_instance,
                predefined_metric_specification=appscaling.CfnScalingPolicy.PredefinedMetricSpecificationProperty(
                    predefined_metric_type="SageMakerVariantInvocationsPerInstance"
                ),
                scale_in_cooldown=int(self.scale_in_cooldown.to_seconds()),
                scale_out_cooldown=int(self.scale_out_cooldown.to_seconds()),
            ),
        )
        return target
