"""The delivery pipeline (CDK Pipelines on CodePipeline and CodeBuild): dev -> staging -> prod.

Opt-in with ``-c pipeline=true``; `make synth` keeps synthesizing the environment stacks directly.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from .endpoint_stack import EndpointStack
from .environments import Environment, PipelineSettings

# The commands a fresh CodeBuild machine runs: the README's test command, the review report, then
# the synth of this pipeline app (its cdk.out is what the pipeline deploys).
SYNTH_COMMANDS = ("make test", "make review", "make synth-pipeline")
SMOKE_REQUEST = "examples/smoke-request.json"


class EnvironmentStage(cdk.Stage):
    """One environment's EndpointStack, deployed into that environment's account and region."""

    def __init__(self, scope: Construct, environment: Environment, settings: PipelineSettings) -> None:
        super().__init__(
            scope,
            environment.name.capitalize(),
            env=cdk.Environment(
                account=environment.account or settings.account, region=environment.region or settings.region
            ),
        )
        self.environment_config = environment
        self.stack = EndpointStack(self, environment)


class PipelineStack(cdk.Stack):
    """Source -> test, review and synth -> dev -> staging -> manual approval -> prod, each with a smoke invoke."""

    def __init__(self, scope: Construct, *, settings: PipelineSettings, environments: tuple[Environment, ...]) -> None:
        super().__init__(
            scope,
            "SageMakerEI-pipeline",
            env=cdk.Environment(account=settings.account, region=settings.region),
            description="Delivery pipeline of the SageMaker EI endpoints: dev -> staging -> prod",
        )
        source = pipelines.CodePipelineSource.connection(
            settings.repository, settings.branch, connection_arn=settings.connection_arn
        )
        self.synth = pipelines.CodeBuildStep(
            "TestReviewSynth",
            input=source,
            commands=list(SYNTH_COMMANDS),
            primary_output_directory="cdk.out",
            build_environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0),
        )
        self.review_report = self.synth.add_output_directory("review")
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self.synth,
            pipeline_type=codepipeline.PipelineType.V2,
            cross_account_keys=True,  # staging and prod live in other accounts
            enable_key_rotation=True,
        )
        self.stages = []
        for environment in environments:
            stage = EnvironmentStage(self, environment, settings)
            pre = [pipelines.ManualApprovalStep("PromoteToProd")] if environment.name == "prod" else []
            self.pipeline.add_stage(stage, pre=pre, post=[self._smoke_invoke(stage)])
            self.stages.append(stage)

    def _smoke_invoke(self, stage: EnvironmentStage) -> pipelines.CodeBuildStep:
        name = stage.environment_config.name
        return pipelines.CodeBuildStep(
            f"SmokeInvoke-{name}",
            commands=[
                "python3 -m venv .venv && .venv/bin/pip install --quiet -r requirements.txt",
                f'.venv/bin/python -m tools.invoke {name} --payload {SMOKE_REQUEST} --assume-role "$SMOKE_ROLE_ARN"',
            ],
            env={"AWS_REGION": stage.region or ""},
            env_from_cfn_outputs={"SMOKE_ROLE_ARN": stage.stack.smoke_test_role_arn},
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:iam::{stage.account}:role/{stage.stack.stack_name}-SmokeTestRole*"
                    ],
                )
            ],
        )
