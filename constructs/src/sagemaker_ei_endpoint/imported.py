"""Endpoints that exist already, imported by name or ARN: ``EIEndpoint.from_endpoint_name`` and friends.

An import creates nothing in the template. It grants invocation of that one endpoint and gives its
metrics; with ``variant_names`` it knows the variants, as the metrics and the dashboard need.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from constructs import Construct

from . import api_constraints
from .errors import EIEndpointPropsError
from .metrics import IEIEndpoint, MetricOptions, variant_names_problems
from .tokens import is_known

ARN_FORM = "arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>"


class ImportedEIEndpoint(IEIEndpoint, Construct):
    """An endpoint defined elsewhere; build it with ``EIEndpoint.from_endpoint_name``, ``from_endpoint_arn``
    or ``from_endpoint_attributes``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        endpoint_arn: str,
        variant_names: Sequence[str] = (),
        environment: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.endpoint_name = endpoint_name
        self.endpoint_arn = endpoint_arn
        self._variant_names = tuple(variant_names)
        self._environment = environment

    @property
    def variant_names(self) -> tuple[str, ...]:
        return self._variant_names

    def _metric_defaults(self) -> MetricOptions:
        # An endpoint in another account or region is graphed there (CloudWatch cross-account dashboards).
        if self._environment is None:
            return {}
        account, region = self._environment
        stack = cdk.Stack.of(self)
        options: MetricOptions = {}
        # Only against a stack whose environment is known: an environment-agnostic stack's is a token.
        if is_known(stack.account) and account != stack.account:
            options["account"] = account
        if is_known(stack.region) and region != stack.region:
            options["region"] = region
        return options


def import_endpoint(
    scope: Construct,
    construct_id: str,
    *,
    endpoint_name: str | None = None,
    endpoint_arn: str | None = None,
    variant_names: Sequence[str] = (),
) -> ImportedEIEndpoint:
    """The import of one endpoint, by name, by ARN or by both; EIEndpointPropsError when they are malformed."""
    problems = variant_names_problems("variant_names", variant_names)
    if endpoint_name is None and endpoint_arn is None:
        problems.append("endpoint_name, endpoint_arn: give the endpoint's name, its ARN or both")
    if endpoint_name is not None:
        problem = api_constraints.name_problem("endpoint_name", "endpoint_name", endpoint_name)
        problems += [problem] if problem else []
    parsed = _parse_arn(endpoint_arn) if endpoint_arn is not None and is_known(endpoint_arn) else None
    if isinstance(parsed, str):
        problems.append(parsed)
    if problems:
        raise EIEndpointPropsError(problems)
    stack = cdk.Stack.of(scope)
    environment = None
    if endpoint_arn is None:
        assert endpoint_name is not None
        endpoint_arn = stack.format_arn(service="sagemaker", resource="endpoint", resource_name=endpoint_name)
    elif isinstance(parsed, tuple):
        name_in_arn, environment = parsed[0], parsed[1:]
        endpoint_name = endpoint_name or name_in_arn
    elif endpoint_name is None:
        # A deploy-time ARN (a parameter, an import of another stack's output): its name is split off by CloudFormation.
        endpoint_name = cdk.Arn.split(endpoint_arn, cdk.ArnFormat.SLASH_RESOURCE_NAME).resource_name
    assert endpoint_name is not None
    return ImportedEIEndpoint(
        scope,
        construct_id,
        endpoint_name=endpoint_name,
        endpoint_arn=endpoint_arn,
        variant_names=variant_names,
        environment=environment,
    )


def _parse_arn(arn: str) -> tuple[str, str, str] | str:
    """(name, account, region) of a SageMaker endpoint ARN, or the problem with it."""
    problem = f"endpoint_arn: expected {ARN_FORM}, got {arn!r}"
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or parts[2] != "sagemaker":
        return problem
    _, _, _, region, account, resource = parts
    kind, _, name = resource.partition("/")
    if kind != "endpoint" or not name or not region or not (account.isdigit() and len(account) == 12):
        return problem
    name_problem = api_constraints.name_problem("endpoint_arn", "endpoint_name", name)
    if name_problem is not None:
        return f"{name_problem} (the endpoint name in the ARN)"
    return name, account, region
