"""Every correction this project makes to moto (5.2.5), one function each, applied by tools/emulator_server.py.

Each patch corrects the emulation only, never what the checks read, and has a test in
tests/test_moto_patches.py that shows moto's own behaviour first and then the corrected one.
Upstream state: read in getmoto/moto at commit 0af643a (2026-08-22); none of these is fixed there.
Upstream references, where one was found: getmoto/moto PR 7121 (2023) says moto's stack updates do
not honour dependencies between resources (the reason for `updates_follow_references`); issue 3032 /
PR 3033 fixed change-set *descriptions*, not the outputs after execution. For the others no upstream
issue or pull request was found (searched in November 2026).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import botocore.session
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError
from moto.cloudformation.models import ChangeSet, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult, EmptyResult
from moto.iam.models import ManagedPolicy, iam_backends
from moto.kms.models import Key
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpointConfig, Model
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

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
    the old resource in its clean-up phase after the update succeeded. (A failed update is not rolled
    back: moto has no rollback, and neither does this patch.)"""
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

        def __init__(self, name: str) -> None:
            self.name = name

        @property
        def physical_resource_id(self) -> str:
            return self.name  # Ref of an alarm is its name

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
            cloudwatch_backends[account_id][region_name].put_metric_alarm(
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
            return cls(resource_name)

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    return CloudFormationAlarm


# Resource types the patches teach moto's CloudFormation (tools/verify.py counts them as emulated).
ADDED_TYPES = frozenset({"AWS::CloudWatch::Alarm"})


def _set_model_list(extra: list[type[CloudFormationModel]]) -> None:
    def model_list() -> list[type[CloudFormationModel]]:
        moto_own = [m for m in CloudFormationModel.__subclasses__() if not getattr(m, "project_patch", False)]
        return moto_own + extra

    parsing.get_model_list = functools.cache(model_list)
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def cloudwatch_alarms_in_stacks() -> Undo:
    """AWS::CloudWatch::Alarm: moto has CloudWatch alarms but its CloudFormation has no model for the
    type, so a stack's alarms are skipped (logged "No Moto CloudFormation support") while the stack
    reports CREATE_COMPLETE. Add the type, backed by moto's own put_metric_alarm and delete_alarms."""
    _set_model_list([_alarm_model()])
    return lambda: _set_model_list([])


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
            raise ValidationError(
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
    sagemaker_instance_types_of_the_service_model,
)


def apply_all() -> Undo:
    undos = [patch() for patch in PATCHES]

    def undo_all() -> None:
        for undo in reversed(undos):
            undo()

    return undo_all
