"""Build the CDK app: one EndpointStack per selected environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

import aws_cdk as cdk

from sagemaker_ei_endpoint import AcceleratorMode, ShadowVariant, SuccessorFamily

from .endpoint_stack import EndpointStack
from .environments import ENVIRONMENTS, PIPELINE, Environment, PipelineSettings, select_environments
from .smoke_test import SmokeTestTrust

if TYPE_CHECKING:
    from .pipeline_stack import PipelineStack


def cdk_environment(environment: Environment, process_env: Mapping[str, str]) -> cdk.Environment:
    """The account/region a stack targets; unset fields fall back to the CLI's defaults."""
    return cdk.Environment(
        account=environment.account or process_env.get("CDK_DEFAULT_ACCOUNT"),
        region=environment.region or process_env.get("CDK_DEFAULT_REGION"),
    )


def build_app(
    app: cdk.App, process_env: Mapping[str, str], environments: Mapping[str, Environment] = ENVIRONMENTS
) -> dict[str, EndpointStack]:
    """One stack per environment, configured by context:

    - ``env``: build only that environment;
    - ``accelerator_mode``: override every environment's mode;
    - ``successor_family``: what every environment's successors are (gpu, gpu-g5, gpu-g6, cpu,
      inferentia2); successor mode only;
    - ``shadow_family``: give every endpoint a shadow variant "Shadow" of that family (successor mode,
      endpoints with one production variant only: dev and staging, not prod);
    - ``deploy_account``: put every environment into this one account, keeping its region (e.g. a
      single sandbox account; the local emulator no longer needs it: it holds every account);
    - ``dashboard``: ``false`` leaves every environment's dashboard out (``true`` puts it in);
    - ``smoke_test_role``: ``true`` adds the role the pipeline's smoke test assumes, trusted by the
      smoke-test build role in the pipeline account in use (``pipeline_account`` followed).
    """
    selected = select_environments(app.node.try_get_context("env"), environments)
    mode = app.node.try_get_context("accelerator_mode")
    if mode is not None:
        selected = tuple(dataclasses.replace(env, accelerator_mode=AcceleratorMode.of(mode)) for env in selected)
    family = app.node.try_get_context("successor_family")
    if family is not None:
        chosen = SuccessorFamily.of(str(family))
        if not any(env.accelerator_mode is AcceleratorMode.SUCCESSOR for env in selected):
            raise ValueError(
                f"successor_family: {family!r} applies in successor mode only, and no selected environment is "
                "in it; add -c accelerator_mode=successor"
            )
        selected = tuple(dataclasses.replace(env, successor_family=chosen) for env in selected)
    shadow = app.node.try_get_context("shadow_family")
    if shadow is not None:
        shadow_family = SuccessorFamily.of(str(shadow), "shadow_family")
        selected = tuple(with_shadow(env, shadow_family) for env in selected)
    account = app.node.try_get_context("deploy_account")
    if account is not None:
        if not (isinstance(account, str) and account.isdigit() and len(account) == 12):
            raise ValueError(f"deploy_account: expected a 12-digit AWS account id, got {account!r}")
        selected = tuple(dataclasses.replace(env, account=account) for env in selected)
    dashboard = app.node.try_get_context("dashboard")
    if dashboard is not None:
        selected = tuple(dataclasses.replace(env, dashboard=context_flag("dashboard", dashboard)) for env in selected)
    smoke_test = str(app.node.try_get_context("smoke_test_role")).lower() == "true"
    tooling_account = pipeline_settings(app).account if smoke_test else None
    return {
        env.name: EndpointStack(
            app,
            env,
            env=cdk_environment(env, process_env),
            smoke_test=SmokeTestTrust(account=tooling_account, environment=env.name) if tooling_account else None,
        )
        for env in selected
    }


def context_flag(name: str, value: object) -> bool:
    """A true/false context value: ``-c name=false`` arrives as a string, cdk.json's as a boolean."""
    text = str(value).lower()
    if text not in ("true", "false"):
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    return text == "true"


SHADOW_VARIANT_NAME = "Shadow"


def with_shadow(environment: Environment, family: SuccessorFamily) -> Environment:
    """``environment`` with a shadow variant of ``family`` beside the production variant of every endpoint."""
    endpoints = []
    for settings in environment.endpoints:
        if len(settings.variants) != 1:
            raise ValueError(
                f"shadow_family: {environment.name}'s {settings.construct_id} has {len(settings.variants)} "
                "production variants and SageMaker allows a shadow variant beside exactly one; "
                "select another environment (-c env=staging)"
            )
        shadow = ShadowVariant(variant_name=SHADOW_VARIANT_NAME, successor_family=family)
        variants = (dataclasses.replace(settings.variants[0], shadow=shadow),)
        endpoints.append(dataclasses.replace(settings, variants=variants))
    return dataclasses.replace(environment, endpoints=tuple(endpoints))


class PipelineSettingsError(ValueError):
    """Every problem of the pipeline's settings, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid pipeline settings:\n  " + "\n  ".join(problems))
        self.problems = problems


def pipeline_settings(app: cdk.App) -> PipelineSettings:
    """PIPELINE, with every field overridable from context (``-c pipeline_account=...``)."""
    overrides = {
        field: app.node.try_get_context(f"pipeline_{field}")
        for field in ("repository", "branch", "connection_arn", "account", "region")
    }
    settings = dataclasses.replace(PIPELINE, **{k: v for k, v in overrides.items() if v is not None})
    if not (isinstance(settings.account, str) and settings.account.isdigit() and len(settings.account) == 12):
        raise PipelineSettingsError([f"pipeline_account: expected a 12-digit AWS account id, got {settings.account!r}"])
    return settings


def pipeline_problems(settings: PipelineSettings, environments: tuple[Environment, ...]) -> list[str]:
    """The tooling account holds the pipeline and its connection, and no workload environment."""
    problems = []
    parts = settings.connection_arn.split(":")
    if len(parts) < 6 or parts[4] != settings.account:
        problems.append(
            f"pipeline_connection_arn: expected a connection in the pipeline account {settings.account}, "
            f"got {settings.connection_arn!r}"
        )
    for env in environments:
        if env.stage_account is None:
            problems.append(
                f"{env.name}.pipeline_stage_account: expected an account for the pipeline's stage, got None"
            )
        elif env.stage_account == settings.account:
            problems.append(
                f"pipeline_account: {settings.account!r} is also {env.name}'s account; "
                "the tooling account must hold no workload environment"
            )
    return problems


def build_pipeline_app(app: cdk.App, environments: Mapping[str, Environment] = ENVIRONMENTS) -> PipelineStack:
    """The pipeline stack alone (``-c pipeline=true``); it holds every environment as a Stage."""
    settings = pipeline_settings(app)
    problems = pipeline_problems(settings, tuple(environments.values()))
    if problems:
        raise PipelineSettingsError(problems)
    # CDK Pipelines and CodeBuild load only for `-c pipeline=true`: plain synths of the environments skip them.
    from .pipeline_stack import PipelineStack

    return PipelineStack(app, settings=settings, environments=tuple(environments.values()))
