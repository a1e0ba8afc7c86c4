"""One snapshot per environment stack: a reviewable record of what each template contains.

Update after an intended change with `make snapshots` and review the diff.
"""

from __future__ import annotations

import pytest
from aws_cdk import assertions
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.environments import ENVIRONMENTS


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_environment_template_matches_snapshot(
    environment_templates: dict[str, assertions.Template], snapshot_json: SnapshotAssertion, env: str
) -> None:
    assert environment_templates[env].to_json() == snapshot_json
