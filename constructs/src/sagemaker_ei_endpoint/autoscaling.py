"""Application Auto Scaling of a production variant's instance count."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_applicationautoscaling as appscaling
from constructs import Construct

from .tokens import is_known

MAX_SCALING_INSTANCES = 1000


@dataclass(frozen=True, kw_only=True)
class VariantAutoscaling:
    """Target tracking on SageMakerVariantInvocationsPerInstance.

    :param min_instance_count: at least 1 and at most the variant's initial count.
    :param max_instance_count: at least the variant's initial count.
    :param target_invocations_per_instance: invocations per instance per minute to hold.
    :param scale_in_cooldown_seconds: default 300.
    :param scale_out_cooldown_seconds: default 60.
    """

    min_instance_count: int
    max_instance_count: int
    target_invocations_per_instance: int
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60

    def problems(self, field: str, initial_instance_count: int) -> list[str]:
        low, high, initial = self.min_instance_count, self.max_instance_count, initial_instance_count
        known = all(is_known(v) for v in (low, high, initial))
        problems = []
        if known and not 1 <= low <= initial <= high <= MAX_SCALING_INSTANCES:
            problems.append(
                f"{field}: expected 1 <= min_instance_count <= initial_instance_count <= max_instance_count "
                f"<= {MAX_SCALING_INSTANCES}, got min {low!r}, initial {initial!r}, max {high!r}"
            )
        target = self.target_invocations_per_instance
        if is_known(target) and not (isinstance(target, int | float) and target > 0):
            problems.append(f"{field}.target_invocations_per_instance: must be positive, got {target!r}")
        for name in ("scale_in_cooldown_seconds", "scale_out_cooldown_seconds"):
            value = getattr(self, name)
            if is_known(value) and not (isinstance(value, int) and 0 <= value <= 3600):
                problems.append(f"{field}.{name}: expected 0 to 3600, got {value!r}")
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
                scale_in_cooldown=self.scale_in_cooldown_seconds,
                scale_out_cooldown=self.scale_out_cooldown_seconds,
            ),
        )
        return target
