"""Shared fixtures: the environment stacks are synthesized once per test session."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from sagemaker_ei_endpoint import AcceleratorType, ContainerImage, EIEndpoint, EIFramework, ProductionVariant
from stacks.app_builder import build_app
from tests.botocore_models import share_loader_caches

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # moto's tests create hundreds of boto3 clients, each in a fresh session (tests/botocore_models.py).
    share_loader_caches()


def cdk_json_context() -> dict[str, Any]:
    """The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def environment_stacks() -> dict[str, cdk.Stack]:
    # Built-in template validation stays on here, as in `make synth`: it proves the
    # CloudFormation-Validate::F3002 acknowledgment holds under validateAgainstDefaultRules.
    app = cdk.App(context=cdk_json_context())
    stacks: dict[str, cdk.Stack] = dict(build_app(app, process_env={}))
    return stacks


def synthesized_templates(stacks: Mapping[str, cdk.Stack]) -> dict[str, dict[str, Any]]:
    """Each stack's template from one synth of their app.

    ``assertions.Template.from_stack`` synthesizes the whole app again for every stack it is given,
    with the app's template validation each time (about a second a synth).
    """
    apps = {id(cdk.Stage.of(stack)): cdk.Stage.of(stack) for stack in stacks.values()}
    (app,) = apps.values()  # one app: the stacks of several would each be synthesized on their own
    assert app is not None
    assembly = app.synth()
    return {name: assembly.get_stack_artifact(stack.artifact_id).template for name, stack in stacks.items()}


@pytest.fixture(scope="session")
def environment_templates(environment_stacks: dict[str, cdk.Stack]) -> dict[str, assertions.Template]:
    return {
        name: assertions.Template.from_json(template)
        for name, template in synthesized_templates(environment_stacks).items()
    }


def variant(name: str = "AllTraffic", **overrides: Any) -> ProductionVariant:
    props: dict[str, Any] = {
        "variant_name": name,
        "instance_type": "ml.m5.large",
        "accelerator_type": AcceleratorType.EIA2_MEDIUM,
    }
    return ProductionVariant(**(props | overrides))


def new_stack(*, region: str | None = "us-east-1") -> cdk.Stack:
    app = cdk.App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
    env = cdk.Environment(account="123456789012", region=region) if region else None
    return cdk.Stack(app, "Test", env=env)


EndpointFactory = Callable[..., tuple[cdk.Stack, EIEndpoint]]


@pytest.fixture
def make_endpoint() -> EndpointFactory:
    """Build one EIEndpoint in a fresh stack; keyword arguments override the defaults.

    Built-in validation is off here: it costs about a second per synth and
    `environment_stacks` already covers it.
    """

    def factory(
        *,
        stack: cdk.Stack | None = None,
        region: str | None = "us-east-1",
        construct_id: str = "Endpoint",
        **overrides: Any,
    ) -> tuple[cdk.Stack, EIEndpoint]:
        if stack is None:
            stack = new_stack(region=region)
        props: dict[str, Any] = {
            "image": ContainerImage.from_ei_framework(EIFramework.TENSORFLOW, "2.3"),
            "variants": [variant()],
        }
        return stack, EIEndpoint(stack, construct_id, **(props | overrides))

    return factory


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report how many generated bad-input cases the property tests ran."""
    module = sys.modules.get("tests.test_bad_input_properties")
    cases = getattr(module, "CASES", None)
    if cases:
        detail = ", ".join(f"{n} {category}" for category, n in sorted(cases.items()))
        terminalreporter.write_line(f"bad-input property cases run: {sum(cases.values())} ({detail})")
