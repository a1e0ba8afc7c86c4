"""cfn-lint accepts every environment template, except E3002 on AcceleratorType and W3037 on
elastic-inference:Connect while EI is in use."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from aws_cdk import assertions

from stacks.environments import ENVIRONMENTS
from tools.cfn_lint_check import DEFAULT_REGION, findings, findings_of, lint_matches


def lint(template: dict[str, Any], env: str, *, allow: bool = True) -> list[str]:
    return findings(template, region=ENVIRONMENTS[env].region or DEFAULT_REGION, allow_ei_accelerator=allow)


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_ei_templates_have_no_finding_but_the_accelerator_type(
    environment_templates: dict[str, assertions.Template], env: str
) -> None:
    # One cfn-lint run, read with and without the EI exception.
    matches = lint_matches(
        dict(environment_templates[env].to_json()), region=ENVIRONMENTS[env].region or DEFAULT_REGION
    )
    assert findings_of(matches, allow_ei_accelerator=True) == []
    without_exception = findings_of(matches, allow_ei_accelerator=False)
    variants = sum(len(e.variants) for e in ENVIRONMENTS[env].endpoints)
    accelerators = [f for f in without_exception if f.startswith("E3002 ")]
    connects = [f for f in without_exception if f.startswith("W3037 ")]
    assert len(accelerators) == variants
    assert all(f.split(":")[0].endswith("/AcceleratorType") for f in accelerators)
    # IAM no longer lists Elastic Inference; the action is what AWS's EI setup page requires.
    assert len(connects) == len(ENVIRONMENTS[env].endpoints)
    assert all(f.split(":")[0].endswith("/Action") and "'elastic-inference' is not one of" in f for f in connects)
    assert len(without_exception) == len(accelerators) + len(connects)


def test_any_other_cfn_lint_error_fails_the_check(environment_templates: dict[str, assertions.Template]) -> None:
    template = copy.deepcopy(dict(environment_templates["prod"].to_json()))
    config = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig")
    config["Properties"]["ProductionVariants"][0]["InstanceType"] = "ml.bogus.large"
    config["Properties"]["Unexpected"] = True
    problems = lint(template, "prod")
    assert any(p.startswith("E3002 ") and "/Unexpected:" in p for p in problems)
    assert any("ml.bogus.large" in p for p in problems)


def test_the_rules_loaded_once_are_cfn_lints_own_and_find_what_its_api_finds() -> None:
    """tools.cfn_lint_check keeps one set of rules per process; cfnlint.api.lint loads them anew each time.

    The same rules as cfn-lint's own runner loads, and the same findings as its API on a template with
    errors, twice: a rule that kept state from the first run would show on the second.
    """
    from cfnlint.api import ManualArgs, lint
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    from tools.cfn_lint_check import _rules

    assert sorted(_rules().keys()) == sorted(Runner(ConfigMixIn(regions=[DEFAULT_REGION])).rules.keys())
    template = {
        "Resources": {
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {"ExecutionRoleArn": "not-an-arn", "Unexpected": True},
            },
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {
                    "ProductionVariants": [
                        {"VariantName": "A", "ModelName": {"Ref": "Missing"}, "InstanceType": "ml.bogus.large"}
                    ]
                },
            },
        }
    }

    def described(matches: list[Any]) -> list[str]:
        return sorted(f"{m.rule.id} {'/'.join(map(str, m.path))}: {m.message}" for m in matches)

    expected = described(list(lint(json.dumps(template), config=ManualArgs(regions=[DEFAULT_REGION]))))
    assert len({line.split()[0] for line in expected}) >= 3, expected
    assert described(lint_matches(template, region=DEFAULT_REGION)) == expected
    assert described(lint_matches(template, region=DEFAULT_REGION)) == expected
