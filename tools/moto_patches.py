"""Every correction this project makes to moto (5.2.5), one function each, applied by tools/emulator_server.py.

Each patch corrects the emulation only, never what the checks read, and has a test in
tests/test_moto_patches.py that shows moto's own behaviour first and then the corrected one.
Upstream state: read in getmoto/moto at commit 0af643a (2026-08-22); none of these is fixed there.
Upstream references, where one was found: getmoto/moto PR 7121 (2023) says moto's stack updates do
not honour dependencies between resources (the reason for `updates_follow_references`); issue 3032 /
PR 3033 fixed change-set *descriptions*, not the outputs after execution; moto's own
`execute_change_set` says "TODO: handle execution errors and implement rollback" (the reason for
`failed_updates_roll_back`); PR 5082 added `update_endpoint_weights_and_capacities`, and moto still has
no UpdateEndpoint (`endpoint_updates_in_place`). For the others no upstream issue or pull request was
found (searched in November 2026).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import botocore.session
from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy, applicationautoscaling_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, UnformattedGetAttTemplateException
from moto.cloudformation.models import ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult, EmptyResult
from moto.iam.access_control import IAMPolicy
from moto.iam.models import ManagedPolicy, iam_backends
from moto.kms.models import Key
from moto.s3.models import FakeBucket, s3_backends
from moto.sagemaker.exceptions import ValidationError as SageMakerValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model, sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.sns.models import sns_backends
from moto.utilities.utils import get_partition

Undo = Callable[[], None]


def kms_key_cloudformation_tags() -> Undo:
    """AWS::KMS::Key Tags: moto reads them in the KMS API's shape (TagKey/TagValue) instead of
    CloudFormation's (Key/Value), so any tagged key fails stack creation with KeyError 'TagKey'
    (moto/kms/models.py, Key.create_from_cloudformation_json). Hand moto the shape it expects."""
    original = Key.__dict__["create_from_cloudformation_json"]

    def create(cls: type[Key], resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Key:
        resource = copy.deepcopy(cloudformation_json)
        properties = resource.get("Properties", {})
        properties["Tags"] = [
            {"TagKey": t.get("Key", t.get("TagKey")), "TagValue": t.get("Value", t.get("TagValue"))}
            for t in properties.get("Tags", [])
        ]
        key: Key = original.__func__(cls, resource_name, resource, *args, **kwargs)
        return key

    Key.create_from_cloudformation_json = classmethod(create)  # type: ignore[assignment]
    return lambda: setattr(Key, "create_from_cloudformation_json", original)


def managed_policy_delete() -> Undo:
    """AWS::IAM::ManagedPolicy: moto has no delete for it, so a stack's policy stays attached and
    `cdk destroy` fails on the role ("Cannot delete entity, must detach all policies first").
    Detach and delete it, as CloudFormation does."""

    def delete(self: ManagedPolicy, account_id: str, region_name: str) -> None:
        backend = iam_backends[account_id][self.partition]
        for role in list(backend.roles.values()):
            if self.arn in role.managed_policies:
                backend.detach_role_policy(self.arn, role.name)
        for user in list(backend.users.values()):
            if self.arn in user.managed_policies:
                backend.detach_user_policy(self.arn, user.name)
        for group in list(backend.groups.values()):
            if self.arn in group.managed_policies:
                backend.detach_group_policy(self.arn, group.name)
        backend.delete_policy(self.arn)

    had = "delete" in ManagedPolicy.__dict__
    original = ManagedPolicy.__dict__.get("delete")
    ManagedPolicy.delete = delete  # type: ignore[attr-defined]
    return lambda: setattr(ManagedPolicy, "delete", original) if had else delattr(ManagedPolicy, "delete")


def managed_policy_update() -> Undo:
    """AWS::IAM::ManagedPolicy updates: moto has no update for the type, so a stack update that changes
    a policy's document stores None for it (moto/cloudformation/parsing.py, parse_and_update_resource);
    the policy then is neither changed nor ever deleted, and `cdk destroy` fails on its role. CloudFormation
    updates a managed policy in place: a new default version and the new role attachments."""

    def update(
        cls: type[ManagedPolicy],
        original_resource: ManagedPolicy,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> ManagedPolicy:
        properties = cloudformation_json.get("Properties", {})
        backend = iam_backends[account_id][original_resource.partition]
        arn = original_resource.arn
        for version in [v for v in original_resource.versions if not v.is_default]:
            backend.delete_policy_version(arn, version.version_id)  # IAM keeps at most five versions
        backend.create_policy_version(arn, json.dumps(properties.get("PolicyDocument")), set_as_default=True)
        wanted = set(properties.get("Roles", []))
        for role in list(backend.roles.values()):
            if arn in role.managed_policies and role.name not in wanted:
                backend.detach_role_policy(arn, role.name)
            elif arn not in role.managed_policies and role.name in wanted:
                backend.attach_role_policy(arn, role.name)
        return original_resource

    had = "update_from_cloudformation_json" in ManagedPolicy.__dict__
    original = ManagedPolicy.__dict__.get("update_from_cloudformation_json")
    ManagedPolicy.update_from_cloudformation_json = classmethod(update)  # type: ignore[assignment]

    def undo() -> None:
        if had:
            ManagedPolicy.update_from_cloudformation_json = original  # type: ignore[assignment]
        else:
            delattr(ManagedPolicy, "update_from_cloudformation_json")

    return undo


def invoke_endpoint_binary_body() -> Undo:
    """sagemaker-runtime InvokeEndpoint: moto decodes every request body as UTF-8 before it reaches
    the handler, so an image body (JPEG, PNG) answers HTTP 500 with UnicodeDecodeError
    (moto/core/responses.py setup_class; moto/sagemakerruntime/responses.py). Keep the body raw and
    hand moto's result cache a text form of it (base64 when it is not UTF-8)."""
    original = SageMakerRuntimeResponse.__dict__["invoke_endpoint"]

    def invoke_endpoint(self: SageMakerRuntimeResponse) -> Any:
        if isinstance(self.body, bytes):
            try:
                self.body = self.body.decode("utf-8")
            except UnicodeDecodeError:
                self.body = "base64:" + base64.b64encode(self.body).decode("ascii")
        return original(self)

    SageMakerRuntimeResponse.use_raw_body = True
    SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint  # type: ignore[method-assign]

    def undo() -> None:
        SageMakerRuntimeResponse.invoke_endpoint = original  # type: ignore[method-assign]
        del SageMakerRuntimeResponse.use_raw_body

    return undo


class ChangeSetNotFoundError(CloudFormationError):
    code = "ChangeSetNotFound"


def _find_change_sets(response: CloudFormationResponse) -> list[str]:
    """Ids of the change sets that ChangeSetName (an id, or a name within StackName) names."""
    name, stack = response._get_param("ChangeSetName"), response._get_param("StackName")
    return [
        change_set_id
        for change_set_id, change_set in response.cloudformation_backend.change_sets.items()
        if name == change_set_id
        or (name == change_set.change_set_name and stack in (None, change_set.stack_name, change_set.stack_id))
    ]


def missing_change_set_is_not_found() -> Undo:
    """DescribeChangeSet and DeleteChangeSet of a change set moto does not hold: describe answers
    "Stack with id <change set> does not exist" (ValidationError) and delete raises UnboundLocalError
    (HTTP 500, which the CDK CLI reads as "XML parse error: mismatched tags"); both match a name across
    every stack. The CLI removes `cdk-deploy-change-set` before each deploy of an existing stack and
    tolerates only ChangeSetNotFound. Look the change set up within its stack; describe answers
    ChangeSetNotFound, delete of a missing one succeeds, as CloudFormation's do."""
    originals = {m: CloudFormationResponse.__dict__[m] for m in ("describe_change_set", "delete_change_set")}

    def describe_change_set(self: CloudFormationResponse) -> Any:
        found = _find_change_sets(self)
        if not found:
            raise ChangeSetNotFoundError(f"ChangeSet [{self._get_param('ChangeSetName')}] does not exist")
        return ActionResult(self.cloudformation_backend.change_sets[found[-1]])

    def delete_change_set(self: CloudFormationResponse) -> Any:
        for change_set_id in _find_change_sets(self):
            del self.cloudformation_backend.change_sets[change_set_id]
        return EmptyResult()

    CloudFormationResponse.describe_change_set = describe_change_set  # type: ignore[method-assign]
    CloudFormationResponse.delete_change_set = delete_change_set  # type: ignore[method-assign]

    def undo() -> None:
        for method, function in originals.items():
            setattr(CloudFormationResponse, method, function)

    return undo


def change_set_execution_updates_the_stack() -> Undo:
    """ExecuteChangeSet: moto applies the resources but keeps the stack's old template, outputs and
    parameters (a change-set deploy loses the stack's outputs). Do what update_stack does."""
    original = ChangeSet.__dict__["apply"]

    def apply(self: ChangeSet) -> None:
        stack = self.stack
        stack.template = self.template
        stack._parse_template()
        stack.resource_map.update(stack.template_dict, self.parameters)
        stack.output_map = stack._create_output_map()
        if self.parameters:
            stack.parameters = self.parameters

    ChangeSet.apply = apply  # type: ignore[method-assign]
    return lambda: setattr(ChangeSet, "apply", original)


def previous_parameter_values_are_the_given_ones() -> Undo:
    """UsePreviousValue: moto reuses the previous *resolved* value, so CDK's SSM-typed BootstrapVersion
    parameter comes back as "30" and is then looked up as an SSM parameter named "30" (AttributeError,
    HTTP 500: "moto cannot update a deployed CDK stack"). CloudFormation reuses the value given, the
    SSM parameter's name, and resolves it again."""
    original = Stack.__dict__["stack_parameters"]

    def stack_parameters(self: Stack) -> dict[str, Any]:
        declared = self.template_dict.get("Parameters", {}) if isinstance(self.template_dict, dict) else {}
        defaults = {k: p["Default"] for k, p in declared.items() if "Default" in p}
        return {**self.resource_map.resolved_parameters, **defaults, **self.resource_map.input_parameters}

    Stack.stack_parameters = property(stack_parameters)  # type: ignore[assignment,method-assign]
    return lambda: setattr(Stack, "stack_parameters", original)


def _updatable(resource_json: Any) -> bool:
    resource_class = parsing.resource_class_from_type(resource_json.get("Type", ""))
    method = getattr(resource_class, "update_from_cloudformation_json", None)
    return method is not None and not hasattr(method, "__isabstractmethod__")


def _referenced(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["Ref"]} if isinstance(value.get("Ref"), str) else set()
        if isinstance(value.get("Fn::GetAtt"), list):
            found.add(value["Fn::GetAtt"][0])
        return found.union(*(_referenced(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_referenced(v) for v in value))
    return set()


def updates_follow_references() -> Undo:
    """Stack updates: moto updates only resources whose template text changed, so a resource that
    points at a replaced one through Ref/GetAtt keeps the old value: the Endpoint is never moved to
    its new EndpointConfig. CloudFormation re-resolves references and updates the dependents. Add the
    (transitive) dependents that moto can update to the resources to modify, after their targets."""
    original = parsing.ResourceMap.__dict__["build_resource_diff"]

    def build_resource_diff(self: parsing.ResourceMap, other_template: Any, parameters: Any = None) -> Any:
        actions: dict[str, list[str]] = original(self, other_template, parameters)
        new = other_template.get("Resources", {})
        changed = set(actions["Modify"])
        grew = True
        while grew:
            grew = False
            for name, resource_json in new.items():
                if name in changed or name in actions["Add"] or name not in self._resource_json_map:
                    continue
                if _referenced(resource_json.get("Properties", {})) & changed and _updatable(resource_json):
                    actions["Modify"].append(name)
                    changed.add(name)
                    grew = True
        return actions

    parsing.ResourceMap.build_resource_diff = build_resource_diff  # type: ignore[method-assign]
    return lambda: setattr(parsing.ResourceMap, "build_resource_diff", original)


_REPLACED: list[tuple[Any, str, Any, str, str]] = []  # (class, physical id, json, account, region)


def sagemaker_replacement_deletes_the_old_after_the_update() -> Undo:
    """AWS::SageMaker::Model and ::EndpointConfig replacements: moto deletes the old resource before
    it creates the new one, so the Endpoint (until it is moved) points at a config that no longer
    exists. CloudFormation creates the replacement, updates dependents (UpdateEndpoint), and deletes
    the old resource in its clean-up phase after the update succeeded (a failed update keeps the
    old one: failed_updates_roll_back)."""
    originals = {cls: cls.__dict__["update_from_cloudformation_json"] for cls in (Model, FakeEndpointConfig)}
    original_update = parsing.ResourceMap.__dict__["update"]

    def replace(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        old = original_resource.physical_resource_id
        _REPLACED.append((cls, old, cloudformation_json, account_id, region_name))
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def update(self: parsing.ResourceMap, template: Any, parameters: Any = None) -> None:
        _REPLACED.clear()
        original_update(self, template, parameters)
        for cls, physical_id, resource_json, account_id, region_name in _REPLACED:
            cls.delete_from_cloudformation_json(physical_id, resource_json, account_id, region_name)
        _REPLACED.clear()

    for cls in originals:
        cls.update_from_cloudformation_json = classmethod(replace)  # type: ignore[assignment]
    parsing.ResourceMap.update = update  # type: ignore[method-assign]

    def undo() -> None:
        for cls, method in originals.items():
            cls.update_from_cloudformation_json = method  # type: ignore[method-assign]
        parsing.ResourceMap.update = original_update  # type: ignore[method-assign]

    return undo


def _alarm_model() -> type[CloudFormationModel]:
    """A fresh AWS::CloudWatch::Alarm model, made when the patch is applied (moto registers every
    CloudFormationModel subclass that exists, so defining it at import would apply it already)."""

    class CloudFormationAlarm(CloudFormationModel):
        project_patch = True

        def __init__(self, name: str, arn: str) -> None:
            self.name = name
            self.arn = arn

        @property
        def physical_resource_id(self) -> str:
            return self.name  # Ref of an alarm is its name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            # Fn::GetAtt [alarm, Arn]: a dashboard's alarm status widget names its alarms by ARN.
            if attribute_name != "Arn":
                raise UnformattedGetAttTemplateException()
            return self.arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Alarm"

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
        ) -> CloudFormationAlarm:
            p = cloudformation_json["Properties"]
            alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
                name=resource_name,
                namespace=p.get("Namespace"),
                metric_name=p.get("MetricName"),
                comparison_operator=p["ComparisonOperator"],
                evaluation_periods=int(p["EvaluationPeriods"]),
                period=int(p.get("Period", 60)),
                threshold=float(p.get("Threshold", 0)),
                statistic=p.get("Statistic"),
                description=p.get("AlarmDescription", ""),
                dimensions=p.get("Dimensions", []),
                alarm_actions=p.get("AlarmActions", []),
                datapoints_to_alarm=p.get("DatapointsToAlarm"),
                extended_statistic=p.get("ExtendedStatistic"),
                ok_actions=p.get("OKActions", []),
                insufficient_data_actions=p.get("InsufficientDataActions", []),
                unit=p.get("Unit"),
                actions_enabled=p.get("ActionsEnabled", True),
                treat_missing_data=p.get("TreatMissingData"),
                tags=p.get("Tags", []),
            )
            return cls(resource_name, alarm.alarm_arn)

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: CloudFormationAlarm,
            new_resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
        ) -> CloudFormationAlarm:
            # in place under its name (PutMetricAlarm overwrites); without an update moto would store None
            return cls.create_from_cloudformation_json(
                original_resource.name, cloudformation_json, account_id, region_name
            )

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    return CloudFormationAlarm


_ADDED_MODELS: dict[str, type[CloudFormationModel]] = {}


def _refresh_model_list() -> None:
    """moto's CloudFormation looks resource types up in a cached list of CloudFormationModel subclasses."""

    def model_list() -> list[type[CloudFormationModel]]:
        moto_own = [m for m in CloudFormationModel.__subclasses__() if not getattr(m, "project_patch", False)]
        return moto_own + list(_ADDED_MODELS.values())

    parsing.get_model_list = functools.cache(model_list)
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def _add_models(*models: type[CloudFormationModel]) -> Undo:
    for model in models:
        _ADDED_MODELS[model.cloudformation_type()] = model
    _refresh_model_list()

    def undo() -> None:
        for model in models:
            _ADDED_MODELS.pop(model.cloudformation_type(), None)
        _refresh_model_list()

    return undo


def cloudwatch_alarms_in_stacks() -> Undo:
    """AWS::CloudWatch::Alarm: moto has CloudWatch alarms but its CloudFormation has no model for the
    type, so a stack's alarms are skipped (logged "No Moto CloudFormation support") while the stack
    reports CREATE_COMPLETE. Add the type, backed by moto's own put_metric_alarm and delete_alarms."""
    return _add_models(_alarm_model())


# ---- Application Auto Scaling, SNS topic policies and S3 bucket policies in stacks -----------------------

SERVICE_LINKED_SAGEMAKER_ROLE = (
    "arn:aws:iam::{account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


def _scalable_target_model() -> type[CloudFormationModel]:
    class CloudFormationScalableTarget(CloudFormationModel):
        project_patch = True

        def __init__(self, namespace: str, resource_id: str, dimension: str) -> None:
            self.namespace, self.resource_id, self.dimension = namespace, resource_id, dimension

        @property
        def physical_resource_id(self) -> str:
            # Ref of a scalable target: "<ResourceId>|<ScalableDimension>|<ServiceNamespace>"
            return f"{self.resource_id}|{self.dimension}|{self.namespace}"

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ApplicationAutoScaling::ScalableTarget"

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
        ) -> CloudFormationScalableTarget:
            p = cloudformation_json["Properties"]
            applicationautoscaling_backends[account_id][region_name].register_scalable_target(
                p["ServiceNamespace"],
                p["ResourceId"],
                p["ScalableDimension"],
                int(p["MinCapacity"]),
                int(p["MaxCapacity"]),
                p.get("RoleARN", SERVICE_LINKED_SAGEMAKER_ROLE.format(account=account_id)),
                p.get("SuspendedState"),
            )
            return cls(p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"])

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: CloudFormationScalableTarget,
            new_resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
        ) -> CloudFormationScalableTarget:
            p = cloudformation_json["Properties"]
            if (p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"]) != (
                original_resource.namespace,
                original_resource.resource_id,
                original_resource.dimension,
            ):  # those three require replacement
                original_resource.delete(account_id, region_name)
            # RegisterScalableTarget of a registered target updates it in place
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            # DeregisterScalableTarget also deletes the target's scaling policies
            backend = applicationautoscaling_backends[account_id][region_name]
            for key, policy in list(backend.policies.items()):
                if (policy.resource_id, policy.scalable_dimension) == (self.resource_id, self.dimension):
                    del backend.policies[key]
            if self.resource_id in backend.targets.get(self.dimension, {}):
                backend.deregister_scalable_target(self.namespace, self.resource_id, self.dimension)

    return CloudFormationScalableTarget


def _scaling_policy_model() -> type[CloudFormationModel]:
    class CloudFormationScalingPolicy(CloudFormationModel):
        project_patch = True

        def __init__(self, arn: str, name: str, namespace: str, resource_id: str, dimension: str) -> None:
            self.arn, self.name = arn, name
            self.namespace, self.resource_id, self.dimension = namespace, resource_id, dimension

        @property
        def physical_resource_id(self) -> str:
            return self.arn  # Ref of a scaling policy is its ARN

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ApplicationAutoScaling::ScalingPolicy"

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
        ) -> CloudFormationScalingPolicy:
            p = cloudformation_json["Properties"]
            if "ScalingTargetId" in p:  # the target's Ref: "<ResourceId>|<ScalableDimension>|<ServiceNamespace>"
                resource_id, dimension, namespace = p["ScalingTargetId"].split("|")
            else:
                resource_id, dimension, namespace = p["ResourceId"], p["ScalableDimension"], p["ServiceNamespace"]
            policy = applicationautoscaling_backends[account_id][region_name].put_scaling_policy(
                p["PolicyName"],
                namespace,
                resource_id,
                dimension,
                p.get("TargetTrackingScalingPolicyConfiguration") or p.get("StepScalingPolicyConfiguration") or {},
                p["PolicyType"],
            )
            return cls(policy.policy_arn, p["PolicyName"], namespace, resource_id, dimension)

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: CloudFormationScalingPolicy,
            new_resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
        ) -> CloudFormationScalingPolicy:
            old = original_resource
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            if (new.name, new.namespace, new.resource_id, new.dimension) != (
                old.name,
                old.namespace,
                old.resource_id,
                old.dimension,
            ):  # another policy: a replacement
                old.delete(account_id, region_name)
                return new
            # PutScalingPolicy of an existing policy updates it in place; its ARN stays
            backend = applicationautoscaling_backends[account_id][region_name]
            key = FakeApplicationAutoscalingPolicy.formulate_key(
                new.namespace, new.resource_id, new.dimension, new.name
            )
            backend.policies[key].policy_arn = new.arn = old.arn
            return new

        def delete(self, account_id: str, region_name: str) -> None:
            backend = applicationautoscaling_backends[account_id][region_name]
            with contextlib.suppress(Exception):  # already gone with its deregistered target
                backend.delete_scaling_policy(self.name, self.namespace, self.resource_id, self.dimension)

    return CloudFormationScalingPolicy


def application_autoscaling_in_stacks() -> Undo:
    """AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy: moto has Application Auto
    Scaling but no CloudFormation model for either type, so a stack's variant autoscaling is skipped
    while the stack reports success. Add both, backed by moto's register_scalable_target and
    put_scaling_policy (and their deletes)."""
    return _add_models(_scalable_target_model(), _scaling_policy_model())


PutPolicy = Callable[[str, str, dict[str, Any]], Any]  # (account, region, properties) -> what it was put on
RemovePolicy = Callable[[str, str, Any], None]  # (account, region, what it was put on)


def _resource_policy_model(resource_type: str, put: PutPolicy, remove: RemovePolicy) -> type[CloudFormationModel]:
    """A CloudFormation model for a policy resource that sets a policy on other resources (topics, a bucket)."""

    class CloudFormationResourcePolicy(CloudFormationModel):
        project_patch = True

        def __init__(self, policy_id: str, target: Any) -> None:
            self.policy_id, self.target = policy_id, target

        @property
        def physical_resource_id(self) -> str:
            return self.policy_id

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return resource_type

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
        ) -> CloudFormationResourcePolicy:
            return cls(resource_name, put(account_id, region_name, cloudformation_json["Properties"]))

        @classmethod
        def update_from_cloudformation_json(
            cls,
            original_resource: CloudFormationResourcePolicy,
            new_resource_name: str,
            cloudformation_json: Any,
            account_id: str,
            region_name: str,
        ) -> CloudFormationResourcePolicy:
            # in place, under its id: what it no longer names loses it, what it names gets the new one
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(
                original_resource.policy_id, cloudformation_json, account_id, region_name
            )

        def delete(self, account_id: str, region_name: str) -> None:
            with contextlib.suppress(Exception):  # what it was put on is already deleted
                remove(account_id, region_name, self.target)

    return CloudFormationResourcePolicy


def _put_topic_policy(account_id: str, region_name: str, properties: dict[str, Any]) -> list[str]:
    backend = sns_backends[account_id][region_name]
    for topic_arn in properties["Topics"]:
        backend.get_topic(topic_arn).policy = json.dumps(properties["PolicyDocument"])
    return list(properties["Topics"])


def _remove_topic_policy(account_id: str, region_name: str, topics: list[str]) -> None:
    """The topics go back to SNS's default policy."""
    backend = sns_backends[account_id][region_name]
    for topic_arn in topics:
        topic = backend.get_topic(topic_arn)
        topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)


def _put_bucket_policy(account_id: str, region_name: str, properties: dict[str, Any]) -> str:
    backend = s3_backends[account_id][get_partition(region_name)]
    backend.put_bucket_policy(properties["Bucket"], json.dumps(properties["PolicyDocument"]).encode())
    return str(properties["Bucket"])


def _remove_bucket_policy(account_id: str, region_name: str, bucket: str) -> None:
    s3_backends[account_id][get_partition(region_name)].delete_bucket_policy(bucket)


def resource_policies_in_stacks() -> Undo:
    """AWS::SNS::TopicPolicy and AWS::S3::BucketPolicy: moto has topic and bucket policies but no
    CloudFormation model for either type, so a stack's policies are skipped while the stack reports
    success (the alarm topic keeps SNS's default policy, the capture bucket has none). Add both,
    backed by moto's topic Policy attribute and put_bucket_policy/delete_bucket_policy."""
    return _add_models(
        _resource_policy_model("AWS::SNS::TopicPolicy", _put_topic_policy, _remove_topic_policy),
        _resource_policy_model("AWS::S3::BucketPolicy", _put_bucket_policy, _remove_bucket_policy),
    )


TLS_REQUEST = {"aws:SecureTransport": "true"}


def _statement_applies(statement: dict[str, Any]) -> bool:
    """Whether a statement's condition holds for a request over TLS; conditions on anything else do not hold."""
    for operator, tests in statement.get("Condition", {}).items():
        for key, wanted in tests.items():
            values = [wanted] if isinstance(wanted, str | bool) else wanted
            if operator != "Bool" or key not in TLS_REQUEST or TLS_REQUEST[key] not in [str(v).lower() for v in values]:
                return False
    return True


def bucket_policy_conditions() -> Undo:
    """S3 bucket policies: moto evaluates a statement whose condition it cannot match as DENIED, whatever
    its effect (moto/iam/access_control.py IAMPolicyStatement.is_action_permitted), so the TLS-only
    statement CDK puts on the bootstrap and capture buckets (Deny when aws:SecureTransport is false)
    denies every request (HTTP 403 on the CLI's asset upload). A statement applies only when its
    condition holds (IAM User Guide, "Policy evaluation logic"); requests to AWS come over TLS, so
    evaluate them as such, and treat a condition on any other key as not holding."""
    original = FakeBucket.__dict__["get_permission"]

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        document = json.loads(self.policy.decode())
        listed = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        applying = [{k: v for k, v in s.items() if k != "Condition"} for s in listed if _statement_applies(s)]
        return IAMPolicy(json.dumps({**document, "Statement": applying})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    return lambda: setattr(FakeBucket, "get_permission", original)


# ---- UpdateEndpoint and failed updates ---------------------------------------------------------------------

SCALING_UPDATE_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html"
VARIANT_COUNTS = {
    "DesiredInstanceCount": ("CurrentInstanceCount", "DesiredInstanceCount"),
    "DesiredWeight": ("CurrentWeight", "DesiredWeight"),
}


def _refuse_autoscaled_instance_changes(
    endpoint: FakeEndpoint, old: FakeEndpointConfig | None, new: FakeEndpointConfig, account_id: str, region_name: str
) -> None:
    """SageMaker guide, "Update endpoints that use auto scaling" (SCALING_UPDATE_PAGE): an update that
    changes the instance type of, or removes, a variant registered for auto scaling fails."""
    if old is None:
        return
    registered = applicationautoscaling_backends[account_id][region_name].targets.get(
        "sagemaker:variant:DesiredInstanceCount", {}
    )
    now = {v["VariantName"]: v.get("InstanceType") for v in new.production_variants}
    for variant in old.production_variants:
        name = variant["VariantName"]
        if f"endpoint/{endpoint.endpoint_name}/variant/{name}" in registered and now.get(name) != variant.get(
            "InstanceType"
        ):
            change = "removes it" if name not in now else f"changes its instance type to {now[name]}"
            raise SageMakerValidationError(
                message=f"variant {name} of endpoint {endpoint.endpoint_name} is registered for auto scaling and "
                f"the update {change}: deregister it first ({SCALING_UPDATE_PAGE})"
            )


def endpoint_updates_in_place() -> Undo:
    """AWS::SageMaker::Endpoint updates: moto deletes the endpoint and creates it again (moto has no
    UpdateEndpoint), so every variant's instance count and weight go back to the new config's initial
    ones whatever RetainAllVariantProperties says, and nothing refuses what SageMaker refuses. Update
    it in place as UpdateEndpoint does (SageMaker API reference, UpdateEndpoint and VariantProperty:
    with RetainAllVariantProperties the current instance counts and weights stay, except those listed
    in ExcludeRetainedVariantProperties), and refuse an instance-type change of an autoscaled variant."""
    original = FakeEndpoint.__dict__["update_from_cloudformation_json"]

    def update(
        cls: type[FakeEndpoint],
        original_resource: FakeEndpoint,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> FakeEndpoint:
        backend = sagemaker_backends[account_id][region_name]
        properties = cloudformation_json["Properties"]
        endpoint = backend.endpoints[original_resource.endpoint_name]
        backend.describe_endpoint_config(properties["EndpointConfigName"])  # ValidationError when missing
        new = backend.endpoint_configs[properties["EndpointConfigName"]]
        old = backend.endpoint_configs.get(endpoint.endpoint_config_name)
        _refuse_autoscaled_instance_changes(endpoint, old, new, account_id, region_name)
        current = {v["VariantName"]: v for v in endpoint.production_variants}
        variants = endpoint._process_production_variants(new.production_variants)
        if properties.get("RetainAllVariantProperties") in (True, "true"):
            excluded = {p["VariantPropertyType"] for p in properties.get("ExcludeRetainedVariantProperties", [])}
            for variant in variants:
                for prop, keys in VARIANT_COUNTS.items():
                    if prop not in excluded and variant["VariantName"] in current:
                        variant.update({k: current[variant["VariantName"]][k] for k in keys})
        endpoint.production_variants = variants
        endpoint.endpoint_config_name = new.endpoint_config_name
        endpoint.data_capture_config = new.data_capture_config
        return endpoint

    FakeEndpoint.update_from_cloudformation_json = classmethod(update)  # type: ignore[assignment]
    return lambda: setattr(FakeEndpoint, "update_from_cloudformation_json", original)


def removed_resources_are_forgotten() -> Undo:
    """A resource an update removes: moto deletes it but keeps it in the stack's resource map, so a later
    update that adds a resource under the same logical id finds the deleted one and creates nothing
    (autoscaling removed, then restored, stays deregistered while the stack lists it). Forget it."""
    original = parsing.ResourceMap.__dict__["update"]

    def update(self: parsing.ResourceMap, template: Any, parameters: Any = None) -> None:
        removed = set(self._resource_json_map) - set(template.get("Resources", {}))
        original(self, template, parameters)
        for logical_id in removed:
            self._parsed_resources.pop(logical_id, None)

    parsing.ResourceMap.update = update  # type: ignore[method-assign]
    return lambda: setattr(parsing.ResourceMap, "update", original)


class UpdateRolledBackError(Exception):
    """A stack update failed; its resources were rolled back (``complete``) or not all could be."""

    def __init__(self, logical_id: str, reason: str, *, complete: bool) -> None:
        super().__init__(reason)
        self.logical_id, self.reason, self.complete = logical_id, reason, complete


_UPDATED: list[tuple[str, Any, Any]] = []  # (logical id, resource before, after) of the running update
_FAILED: list[str] = []  # logical ids whose update raised, in order


def _roll_back(resources: parsing.ResourceMap, before: dict[str, Any], saved: dict[str, Any]) -> None:
    """Undo what a failed update did and give the map back its old template; newest change first."""
    failed_json, after = resources._resource_json_map, dict(resources._parsed_resources)
    updated = list(_UPDATED)
    resources._template, resources.input_parameters = saved["template"], saved["input_parameters"]
    resources.load_mapping()
    resources.load_parameters()
    resources.load_conditions()
    resources._resource_json_map = saved["json"]
    resources._parsed_resources.clear()
    resources._parsed_resources.update(before)
    for logical_id in set(after) - set(before):  # added by the update
        resources._delete_resource(after[logical_id], failed_json[logical_id])
    for logical_id, old, new in reversed(updated):
        if new is None or old is None:
            continue
        if new.physical_resource_id != old.physical_resource_id:  # replaced: drop the new one, keep the old
            resources._delete_resource(new, failed_json[logical_id])
        else:  # updated in place: update it back, its references resolving to the old resources again
            back = parsing.parse_and_update_resource(
                logical_id, saved["json"][logical_id], resources, resources._account_id, resources._region_name
            )
            resources._parsed_resources[logical_id] = back or old
    for logical_id in set(saved["json"]) - set(failed_json):  # removed by the update: create it again
        resources._parsed_resources.pop(logical_id, None)
        _ = resources[logical_id]


def _restore_stack(stack: Stack, template: Any, failure: UpdateRolledBackError) -> None:
    stack.template = template
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    stack._add_stack_event(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        resource_status_reason=f"The following resource(s) failed to update: [{failure.logical_id}]. {failure.reason}",
    )
    stack.status = "UPDATE_ROLLBACK_COMPLETE" if failure.complete else "UPDATE_ROLLBACK_FAILED"
    stack._add_stack_event(stack.status)


def failed_updates_roll_back() -> Undo:
    """A stack update that fails: moto leaves whatever it had done (added, replaced, updated,
    removed) in place and answers the error (HTTP 500 for most), the stack half-changed
    (moto/cloudformation/models.py execute_change_set: "TODO: handle execution errors and implement
    rollback"). CloudFormation rolls the update back: resources it added are deleted, a replaced one's
    old physical resource is kept and the replacement deleted, updated ones are updated back, and the
    stack keeps its previous template and outputs, ending UPDATE_ROLLBACK_COMPLETE (AWS CloudFormation
    User Guide, "Stack status codes"). Do that; UpdateStack and ExecuteChangeSet then succeed, as on AWS,
    and the failure is in the stack's status and events. A resource the update removed is created again
    (moto deletes removed resources first, CloudFormation only in its clean-up phase), under a new id."""
    originals = {
        "update": parsing.ResourceMap.__dict__["update"],
        "parse_and_update_resource": parsing.parse_and_update_resource,
        "stack_update": Stack.__dict__["update"],
        "execute_change_set": CloudFormationBackend.__dict__["execute_change_set"],
    }

    def parse_and_update_resource(logical_id: str, resource_json: Any, resources: Any, *args: Any, **kw: Any) -> Any:
        before = resources._parsed_resources.get(logical_id)
        try:
            after = originals["parse_and_update_resource"](logical_id, resource_json, resources, *args, **kw)
        except Exception:
            _FAILED.append(logical_id)
            raise
        _UPDATED.append((logical_id, before, after))
        return after

    def update(self: parsing.ResourceMap, template: Any, parameters: Any = None) -> None:
        before = dict(self._parsed_resources)
        saved = {"template": self._template, "input_parameters": self.input_parameters, "json": self._resource_json_map}
        _UPDATED.clear()
        _FAILED.clear()
        try:
            originals["update"](self, template, parameters)
        except Exception as error:
            failed = _FAILED[-1] if _FAILED else "?"
            try:
                _roll_back(self, before, saved)
            except Exception as rollback_error:
                raise UpdateRolledBackError(failed, f"{error}; rollback: {rollback_error}", complete=False) from error
            raise UpdateRolledBackError(failed, str(error), complete=True) from error
        finally:
            _UPDATED.clear()
            _FAILED.clear()

    def stack_update(self: Stack, template: str, *args: Any, **kwargs: Any) -> None:
        previous = self.template
        try:
            originals["stack_update"](self, template, *args, **kwargs)
        except UpdateRolledBackError as failure:
            _restore_stack(self, previous, failure)

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name), None
        )
        stack = self.stacks.get(change_set.stack_id) if change_set else None
        previous = stack.template if stack else ""
        try:
            originals["execute_change_set"](self, change_set_name, stack_name)
        except UpdateRolledBackError as failure:
            if change_set is None or stack is None:
                raise
            change_set.execution_status = "EXECUTE_FAILED"
            _restore_stack(stack, previous, failure)

    parsing.ResourceMap.update = update  # type: ignore[method-assign]
    parsing.parse_and_update_resource = parse_and_update_resource  # type: ignore[assignment]
    Stack.update = stack_update  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]

    def undo() -> None:
        parsing.ResourceMap.update = originals["update"]  # type: ignore[method-assign]
        parsing.parse_and_update_resource = originals["parse_and_update_resource"]
        Stack.update = originals["stack_update"]  # type: ignore[method-assign]
        CloudFormationBackend.execute_change_set = originals["execute_change_set"]  # type: ignore[method-assign]

    return undo


# Resource types the patches teach moto's CloudFormation (tools/verify.py counts them as emulated).
ADDED_TYPES = frozenset(
    {
        "AWS::CloudWatch::Alarm",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::S3::BucketPolicy",
    }
)


def sagemaker_instance_types_of_the_service_model() -> Undo:
    """ProductionVariants' InstanceType: moto checks it against its own list (FakeEndpointConfig.
    validate_instance_type), which lacks ml.g5, ml.g6, ml.inf2 and the m6i/c6i/r6i and newer hosts, so
    an endpoint config on today's successor instances fails with a ValidationError SageMaker does not
    raise. Check against SageMaker's service model instead (botocore's ProductionVariantInstanceType,
    the enum the project's own validation reads too). Seen in moto 5.2.5; not compared with upstream
    getmoto/moto, unlike the patches above."""
    original = FakeEndpointConfig.__dict__["validate_instance_type"]
    model = botocore.session.get_session().get_service_model("sagemaker")
    allowed = frozenset(model.shape_for("ProductionVariantInstanceType").enum)

    def validate(self: FakeEndpointConfig, instance_type: str) -> None:
        if instance_type not in allowed:
            raise SageMakerValidationError(
                message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint: "
                "Member must satisfy enum value set of ProductionVariantInstanceType"
            )

    FakeEndpointConfig.validate_instance_type = validate  # type: ignore[method-assign]
    return lambda: setattr(FakeEndpointConfig, "validate_instance_type", original)


PATCHES: tuple[Callable[[], Undo], ...] = (
    kms_key_cloudformation_tags,
    managed_policy_delete,
    managed_policy_update,
    invoke_endpoint_binary_body,
    missing_change_set_is_not_found,
    change_set_execution_updates_the_stack,
    previous_parameter_values_are_the_given_ones,
    updates_follow_references,
    sagemaker_replacement_deletes_the_old_after_the_update,
    cloudwatch_alarms_in_stacks,
    application_autoscaling_in_stacks,
    resource_policies_in_stacks,
    bucket_policy_conditions,
    endpoint_updates_in_place,
    removed_resources_are_forgotten,
    failed_updates_roll_back,
    sagemaker_instance_types_of_the_service_model,
)


def apply_all() -> Undo:
    undos = [patch() for patch in PATCHES]

    def undo_all() -> None:
        for undo in reversed(undos):
            undo()

    return undo_all
