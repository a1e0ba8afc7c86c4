"""`make deploy` options that need no emulator."""

from __future__ import annotations

from tools.deploy import approval_flags


def test_aws_keeps_the_clis_approval_default_unless_chosen() -> None:
    assert approval_flags("aws", None) == []
    assert approval_flags("aws", "never") == ["--require-approval", "never"]
    assert approval_flags("aws", "any-change") == ["--require-approval", "any-change"]


def test_the_local_emulator_needs_no_approval() -> None:
    assert approval_flags("emulator", None) == ["--require-approval", "never"]
