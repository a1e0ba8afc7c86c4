"""The delivery pipeline (CDK Pipelines on CodePipeline and CodeBuild): dev -> staging -> prod.

Opt-in with ``-c pipeline=true``; `make synth` keeps synthesizing the environment stacks directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import pipelines
from constructs import Construct, IValidation

from .endpoint_stack import EndpointStack
from .environments import Environment, PipelineSettings
from .smoke_test import PIPELINE_STACK_NAME, SmokeTestTrust

# The current Ubuntu standard image of CodeBuild (CodeBuild user guide, "Docker images provided by
# CodeBuild", https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-available.html):
# standard:8.0, Ubuntu 24.04, whose Python is newer than the 3.11 `make` needs.
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_8_0
# What CDK grants the pipeline role on its artifact keys (aws-cdk-lib Key.grantEncryptDecrypt).
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
PACKAGE_LOCK = Path(__file__).resolve().parent.parent / "package-lock.json"

# The commands a fresh CodeBuild machine runs: the README's test command, the review report, then
# the synth of this pipeline app (its cdk.out is what the pipeline deploys).
SYNTH_COMMANDS = ("make test", "make review", "make synth-pipeline")
SMOKE_REQUEST = "examples/smoke-request.json"


def pinned_cli_version(lockfile: Path = PACKAGE_LOCK) -> str:
    """The version of the CDK CLI (npm package aws-cdk) that package-lock.json pins."""
    lock = json.loads(lockfile.read_text())
    version: str = lock["packages"]["node_modules/aws-cdk"]["version"]
    return version


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


@jsii.implements(IValidation)
class _Validation:
    def __init__(self, check: Callable[[], list[str]]) -> None:
        self._check = check

    def validate(self) -> list[str]:
        return self._check()


class EnvironmentStage(cdk.Stage):
    """One environment's EndpointStack, deployed into that environment's account and region."""

    def __init__(self, scope: Construct, environment: Environment, settings: PipelineSettings) -> None:
        super().__init__(
            scope,
            environment.name.capitalize(),
            # build_pipeline_app refuses an environment without an account of its own.
            env=cdk.Environment(account=environment.stage_account, region=environment.region or settings.region),
        )
        self.environment_config = environment
        self.smoke_test = SmokeTestTrust(account=settings.account, environment=environment.name)
        self.stack = EndpointStack(self, environment, smoke_test=self.smoke_test)
        assert self.stack.smoke_test_role_arn is not None
        self.smoke_test_role_arn: cdk.CfnOutput = self.stack.smoke_test_role_arn


class PipelineStack(cdk.Stack):
    """Source -> test, review and synth -> dev -> staging -> manual approval -> prod, each with a smoke invoke."""

    def __init__(self, scope: Construct, *, settings: PipelineSettings, environments: tuple[Environment, ...]) -> None:
        super().__init__(
            scope,
            PIPELINE_STACK_NAME,
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
        )
        self.review_report = self.synth.add_output_directory("review")
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=self.synth,
            pipeline_type=codepipeline.PipelineType.V2,
            cross_account_keys=True,  # staging and prod live in other accounts
            enable_key_rotation=True,
            # The self-update step installs this CLI; the synth step runs the one `make setup` installs
            # from package-lock.json, so both are the same pinned version.
            cli_version=pinned_cli_version(),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE)
            ),
        )
        self.stages = []
        for environment in environments:
            stage = EnvironmentStage(self, environment, settings)
            pre = [pipelines.ManualApprovalStep("PromoteToProd")] if environment.name == "prod" else []
            self.pipeline.add_stage(stage, pre=pre, post=[self._smoke_invoke(stage)])
            self.stages.append(stage)
        self.pipeline.build_pipeline()
        self._scope_replication_key_grants()

    def _scope_replication_key_grants(self) -> None:
        """Replace the KMS actions on ``"*"`` CDK gives the pipeline role for each cross-region
        replication key (aws-cdk-lib's Key.grant uses "*" for a key in another region, whose ARN it
        cannot know) with the same actions on that key alone, named by its alias: the
        ``kms:ResourceAliases`` condition (KMS developer guide, "Use aliases to control access to KMS
        keys", https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html)."""
        pipeline = self.pipeline.pipeline
        policy = pipeline.role.node.find_child("DefaultPolicy")
        assert isinstance(policy, iam.Policy)
        resource = policy.node.default_child
        assert isinstance(resource, iam.CfnPolicy)
        generated = self.resolve(policy.document)
        statements = []
        for statement in generated["Statement"]:
            resources = _as_list(statement["Resource"])
            if "*" in resources and all(str(a).startswith("kms:") for a in _as_list(statement["Action"])):
                kept = [r for r in resources if r != "*"]
                if not kept:
                    continue
                statement = statement | {"Resource": kept[0] if len(kept) == 1 else kept}
            statements.append(statement)
        for region, support in sorted(pipeline.cross_region_support.items()):
            alias = support.replication_bucket.encryption_key
            assert isinstance(alias, kms.Alias)
            scoped = iam.PolicyStatement(
                actions=list(KEY_USE_ACTIONS),
                resources=[f"arn:{cdk.Aws.PARTITION}:kms:{region}:{self.account}:key/*"],
                conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias.alias_name}},
            )
            statements.append(self.resolve(scoped.to_statement_json()))
        resource.add_property_override("PolicyDocument.Statement", statements)

        def unchanged() -> list[str]:
            # The override replaces the generated statements: anything CDK adds later would be lost.
            if self.resolve(policy.document) != generated:
                return [f"{policy.node.path}: statements were added after their KMS '*' grants were scoped"]
            return []

        policy.node.add_validation(_Validation(unchanged))

    def _smoke_invoke(self, stage: EnvironmentStage) -> pipelines.CodeBuildStep:
        name = stage.environment_config.name
        # Named, so the stage's smoke-test role can trust exactly this role (stacks/smoke_test.py).
        role = iam.Role(
            self,
            f"SmokeInvokeRole-{name}",
            role_name=stage.smoke_test.role_name,
            assumed_by=iam.ServicePrincipal(
                "codebuild.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": self.account}}
            ),
            description=f"CodeBuild role of the pipeline's smoke test of {name}",
        )
        return pipelines.CodeBuildStep(
            f"SmokeInvoke-{name}",
            role=role,
            commands=[
                "python3 -m venv .venv && .venv/bin/pip install --quiet -r requirements.txt",
                f'.venv/bin/python -m tools.invoke {name} --payload {SMOKE_REQUEST} --assume-role "$SMOKE_ROLE_ARN"',
            ],
            env={"AWS_REGION": stage.region or ""},
            env_from_cfn_outputs={"SMOKE_ROLE_ARN": stage.smoke_test_role_arn},
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:{cdk.Aws.PARTITION}:iam::{stage.account}:role/{stage.stack.stack_name}-SmokeTestRole*"
                    ],
                )
            ],
        )
