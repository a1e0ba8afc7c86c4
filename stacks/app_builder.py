"""Build the CDK app: one EndpointStack per selected environment."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk

from .endpoint_stack import EndpointStack
from .environments import Environment, select_environments


def cdk_environment(environment: Environment, process_env: Mapping[str, str]) -> cdk.Environment:
    """The account/region a stack targets; unset fields fall back to the CLI's defaults."""
    return cdk.Environment(
        account=environment.account or process_env.get("CDK_DEFAULT_ACCOUNT"),
        region=environment.region or process_env.get("CDK_DEFAULT_REGION"),
    )


def build_app(app: cdk.App, process_env: Mapping[str, str]) -> dict[str, EndpointStack]:
    selected = select_environments(app.node.try_get_context("env"))
    return {env.name: EndpointStack(app, env, env=cdk_environment(env, process_env)) for env in selected}
