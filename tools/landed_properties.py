"""Whether a resource's properties landed as synthesized, read back through its service's API.

For the resource types whose properties matter after a deploy and that a service describes:
alarms, Application Auto Scaling targets and policies, SNS topic policies and S3 bucket policies.
Each comparison returns "" when what landed matches the template, else what differs. Template values
are resolved against the stack's physical ids (Ref, Fn::GetAtt of a name, Fn::Join); what cannot be
resolved that way (an ARN attribute, a pseudo parameter) is left out of the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class Unresolved(Exception):
    """A template value that names something only CloudFormation knows (an ARN attribute, a pseudo parameter)."""


def name_of(physical_id: str) -> str:
    """A SageMaker resource's name from its physical id (CloudFormation answers the ARN)."""
    return physical_id.split("/")[-1] if physical_id.startswith("arn:") else physical_id


@dataclass(frozen=True)
class Landed:
    """One resource of a deployed stack: its template, its physical id and the stack's others."""

    session: Any
    physical: str
    resources: Mapping[str, Any]  # the template's Resources
    physical_ids: Mapping[str, str]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            if value["Ref"] not in self.physical_ids:
                raise Unresolved(value["Ref"])
            return self.physical_ids[value["Ref"]]
        if "Fn::GetAtt" in value:
            target, attribute = value["Fn::GetAtt"]
            if not str(attribute).endswith("Name") or target not in self.physical_ids:
                raise Unresolved(f"{target}.{attribute}")
            return name_of(self.physical_ids[target])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(p)) for p in parts)
        return {k: self.resolve(v) for k, v in value.items()}


Compare = Callable[[Landed, Mapping[str, Any]], str]  # (landed, template properties) -> difference or ""


def _differences(landed: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    wrong = [f"{k} {landed.get(k)!r}, template {v!r}" for k, v in expected.items() if landed.get(k) != v]
    return "; ".join(wrong)


ALARM_FIELDS = ("MetricName", "Namespace", "ComparisonOperator", "EvaluationPeriods", "Period", "Statistic")


def alarm(landed: Landed, properties: Mapping[str, Any]) -> str:
    found = landed.session.client("cloudwatch").describe_alarms(AlarmNames=[landed.physical])["MetricAlarms"]
    if not found:
        return "no alarm"
    expected: dict[str, Any] = {k: properties[k] for k in ALARM_FIELDS if k in properties}
    expected["Threshold"] = float(properties.get("Threshold", 0))
    return _differences(found[0], expected)


def _target_key(landed: Landed, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ServiceNamespace": properties["ServiceNamespace"],
        "ResourceId": landed.resolve(properties["ResourceId"]),
        "ScalableDimension": properties["ScalableDimension"],
    }


def scalable_target(landed: Landed, properties: Mapping[str, Any]) -> str:
    key = _target_key(landed, properties)
    targets = landed.session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=key["ServiceNamespace"],
        ResourceIds=[key["ResourceId"]],
        ScalableDimension=key["ScalableDimension"],
    )["ScalableTargets"]
    if not targets:
        return f"no scalable target {key['ResourceId']}"
    expected = {k: int(properties[k]) for k in ("MinCapacity", "MaxCapacity")}
    return _differences(targets[0], expected)


def scaling_policy(landed: Landed, properties: Mapping[str, Any]) -> str:
    if "ScalingTargetId" in properties:
        target = landed.resources[properties["ScalingTargetId"]["Ref"]]["Properties"]
        key = _target_key(landed, target)
    else:
        key = _target_key(landed, properties)
    policies = landed.session.client("application-autoscaling").describe_scaling_policies(
        PolicyNames=[properties["PolicyName"]], **key
    )["ScalingPolicies"]
    if not policies:
        return f"no scaling policy {properties['PolicyName']} for {key['ResourceId']}"
    found, wanted = policies[0], properties.get("TargetTrackingScalingPolicyConfiguration", {})
    problem = _differences(found, {"PolicyType": properties["PolicyType"]})
    tracking = found.get("TargetTrackingScalingPolicyConfiguration", {})
    fields = ("PredefinedMetricSpecification", "ScaleInCooldown", "ScaleOutCooldown")
    expected = {k: wanted[k] for k in fields if k in wanted}
    if "TargetValue" in wanted:
        expected["TargetValue"] = float(wanted["TargetValue"])
    return "; ".join(p for p in (problem, _differences(tracking, expected)) if p)


def statements(document: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """A policy document's statements as (Sid, Effect, actions): what must match, whatever the resolved ARNs."""

    def actions(statement: Mapping[str, Any]) -> tuple[str, ...]:
        action = statement.get("Action", [])
        return tuple(sorted([action] if isinstance(action, str) else action))

    return sorted((s.get("Sid", ""), s["Effect"], actions(s)) for s in document.get("Statement", []))


def _policy_difference(landed_document: str | None, properties: Mapping[str, Any]) -> str:
    if not landed_document:
        return "no policy"
    found, wanted = statements(json.loads(landed_document)), statements(properties["PolicyDocument"])
    return "" if found == wanted else f"statements {found}, template {wanted}"


def topic_policy(landed: Landed, properties: Mapping[str, Any]) -> str:
    sns = landed.session.client("sns")
    for topic in properties["Topics"]:
        arn = landed.resolve(topic)
        problem = _policy_difference(sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy"), properties)
        if problem:
            return f"{arn}: {problem}"
    return ""


def bucket_policy(landed: Landed, properties: Mapping[str, Any]) -> str:
    bucket = landed.resolve(properties["Bucket"])
    policy = landed.session.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    problem = _policy_difference(policy, properties)
    return f"{bucket}: {problem}" if problem else ""


COMPARISONS: Mapping[str, Compare] = {
    "AWS::CloudWatch::Alarm": alarm,
    "AWS::ApplicationAutoScaling::ScalableTarget": scalable_target,
    "AWS::ApplicationAutoScaling::ScalingPolicy": scaling_policy,
    "AWS::SNS::TopicPolicy": topic_policy,
    "AWS::S3::BucketPolicy": bucket_policy,
}
