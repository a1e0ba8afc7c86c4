"""moto server, with two shims for moto 5.2.5 bugs outside SageMaker; neither changes what is verified.

1. moto reads the Tags of an AWS::KMS::Key in the KMS API's shape (TagKey/TagValue) instead of
   CloudFormation's (Key/Value), so any tagged key fails stack creation with KeyError 'TagKey'
   (moto/kms/models.py, Key.create_from_cloudformation_json). The shim hands moto the tags in the
   shape it expects.
2. moto cannot delete an AWS::IAM::ManagedPolicy from a stack (ManagedPolicy has no delete), so
   the policy stays attached and `cdk destroy` fails on the role with "Cannot delete entity, must
   detach all policies first". The shim detaches and deletes it, as CloudFormation does.

Usage: python -m tools.emulator_server -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from moto.iam.models import ManagedPolicy, iam_backends
from moto.kms.models import Key
from moto.server import main

_original = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _with_kms_api_tags(cls: type[Key], resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Key:
    resource = copy.deepcopy(cloudformation_json)
    tags = resource.get("Properties", {}).get("Tags", [])
    resource.get("Properties", {})["Tags"] = [
        {"TagKey": t.get("Key", t.get("TagKey")), "TagValue": t.get("Value", t.get("TagValue"))} for t in tags
    ]
    key: Key = _original(cls, resource_name, resource, *args, **kwargs)
    return key


def _delete_managed_policy(self: ManagedPolicy, account_id: str, region_name: str) -> None:
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


Key.create_from_cloudformation_json = classmethod(_with_kms_api_tags)  # type: ignore[assignment]
ManagedPolicy.delete = _delete_managed_policy  # type: ignore[attr-defined]

if __name__ == "__main__":
    main(sys.argv[1:])
