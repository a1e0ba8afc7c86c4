"""dev, staging and prod: checked-in configuration, picked with -c env=NAME."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from stacks.app_builder import build_app
from stacks.environments import ENVIRONMENTS, UnknownEnvironmentError, select_environments


def synth_app(context: dict[str, str], process_env: dict[str, str]) -> dict[str, cdk.Stack]:
    app = cdk.App(context=context, builtin_cloud_formation_validation=False)
    return dict(build_app(app, process_env))


def test_all_three_environments_are_built_by_default() -> None:
    stacks = synth_app({}, {})
    assert [s.stack_name for s in stacks.values()] == ["SageMakerEI-dev", "SageMakerEI-staging", "SageMakerEI-prod"]


def test_one_environment_can_be_picked_with_context() -> None:
    assert list(synth_app({"env": "prod"}, {})) == ["prod"]


def test_unknown_environment_is_a_clear_error() -> None:
    with pytest.raises(
        UnknownEnvironmentError, match=r"env: unknown environment 'qa'; expected one of dev, staging, prod"
    ):
        select_environments("qa")


def test_dev_follows_the_cli_account_and_region() -> None:
    stacks = synth_app({"env": "dev"}, {"CDK_DEFAULT_ACCOUNT": "999999999999", "CDK_DEFAULT_REGION": "eu-west-1"})
    assert (stacks["dev"].account, stacks["dev"].region) == ("999999999999", "eu-west-1")


def test_dev_without_cli_defaults_is_environment_agnostic() -> None:
    stack = synth_app({"env": "dev"}, {})["dev"]
    assert cdk.Token.is_unresolved(stack.region)
    assert cdk.Token.is_unresolved(stack.account)


def test_staging_and_prod_have_fixed_accounts_and_regions() -> None:
    stacks = synth_app({}, {"CDK_DEFAULT_ACCOUNT": "999999999999", "CDK_DEFAULT_REGION": "eu-west-1"})
    for name in ("staging", "prod"):
        assert (stacks[name].account, stacks[name].region) == (ENVIRONMENTS[name].account, ENVIRONMENTS[name].region)


def test_prod_runs_two_weighted_variants_with_more_instances_than_dev() -> None:
    dev, (prod,) = ENVIRONMENTS["dev"].endpoints[0], ENVIRONMENTS["prod"].endpoints
    assert len(dev.variants) == 1
    assert len(prod.variants) == 2
    assert sum(v.initial_instance_count for v in prod.variants) > sum(v.initial_instance_count for v in dev.variants)
    assert len({v.initial_variant_weight for v in prod.variants}) == 2


def test_environment_tags_are_applied() -> None:
    stack = synth_app({"env": "staging"}, {})["staging"]
    template = cdk.assertions.Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {"Tags": cdk.assertions.Match.array_with([{"Key": "Environment", "Value": "staging"}])},
    )
