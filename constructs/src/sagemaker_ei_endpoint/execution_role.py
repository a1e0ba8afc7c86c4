"""The least-privilege SageMaker execution role an EIEndpoint creates when none is given."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

# Actions SageMaker needs for every model, none of which take a resource ARN
# (SageMaker developer guide, "CreateModel API: Execution Role Permissions").
BASE_ACTIONS = (
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)


def create_execution_role(scope: Construct, construct_id: str) -> iam.Role:
    """A role SageMaker can assume with only logs, metrics and ECR login rights.

    Artifact reads and image pulls are granted by the model data and image sources,
    each on its own resource; there is no managed policy.
    """
    role = iam.Role(
        scope,
        construct_id,
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="SageMaker execution role of an EIEndpoint: logs, metrics, and pulls of its own image and artifact",
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(BASE_ACTIONS), resources=["*"]))
    return role
