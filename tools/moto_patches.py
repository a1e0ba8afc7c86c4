"""Every correction this project makes to moto (5.2.5), one function each, applied by tools/emulator_server.py.

Each patch corrects the emulation only, never what the checks read, and has a test in
tests/test_moto_patches.py that shows moto's own behaviour first and then the corrected one.
Upstream state: read in getmoto/moto at commit 0af643a (2026-08-22); none of these is fixed there.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from moto.iam.models import ManagedPolicy, iam_backends
from moto.kms.models import Key
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


PATCHES: tuple[Callable[[], Undo], ...] = (
    kms_key_cloudformation_tags,
    managed_policy_delete,
    invoke_endpoint_binary_body,
)


def apply_all() -> Undo:
    undos = [patch() for patch in PATCHES]

    def undo_all() -> None:
        for undo in reversed(undos):
            undo()

    return undo_all
