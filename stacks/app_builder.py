"""Build the CDK app: one EndpointStack per selected environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import aws_cdk as cdk

from sagemaker_ei_endpoint import AcceleratorMode

from .endpoint_stack import EndpointStack
from .environments import ENVIRONMENTS, PIPELINE, Environment, PipelineSettings, select_environments
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
    - ``deploy_account``: put every environment into this one account, keeping its region (e.g. a
      single sandbox account; the local emulator no longer needs it: it holds every account).
    """
    selected = select_environments(app.node.try_get_context("env"), environments)
    mode = app.node.try_get_context("accelerator_mode")
    if mode is not None:
        selected = tuple(dataclasses.replace(env, accelerator_mode=AcceleratorMode.of(mode)) for env in selected)
    account = app.node.try_get_context("deploy_account")
    if account is not None:
        if not (isinstance(account, str) and account.isdigit() and len(account) == 12):
            raise ValueError(f"deploy_account: expected a 12-digit AWS account id, got {account!r}")
        selected = tuple(dataclasses.replace(env, account=account) for env in selected)
    return {env.name: EndpointStack(app, env, env=cdk_environment(env, process_env)) for env in selected}


def pipeline_settings(app: cdk.App) -> PipelineSettings:
    """PIPELINE, with the repository connection overridable from context."""
    overrides = {
        field: app.node.try_get_context(f"pipeline_{field}")
        for field in ("repository", "branch", "connection_arn", "account", "region")
    }
    return dataclasses.replace(PIPELINE, **{k: v for k, v in overrides.items() if v is not None})


def build_pipeline_app(app: cdk.App, environments: Mapping[str, Environment] = ENVIRONMENTS) -> PipelineStack:
    """The pipeline stack alone (``-c pipeline=true``); it holds every environment as a Stage."""
    return PipelineStack(app, settings=pipeline_settings(app), environments=tuple(environments.values()))
