"""The CDK Pipelines stack: stage order, approval before prod, synth commands, cross-account roles."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from stacks.app_builder import build_app, build_pipeline_app
from stacks.environments import ENVIRONMENTS, PIPELINE
from stacks.pipeline_stack import PipelineStack
from tests.conftest import cdk_json_context


@pytest.fixture(scope="module")
def pipeline_stack() -> PipelineStack:
    app = cdk.App(context=cdk_json_context() | {"pipeline": "true"}, builtin_cloud_formation_validation=False)
    return build_pipeline_app(app)


@pytest.fixture(scope="module")
def pipeline_template(pipeline_stack: PipelineStack) -> assertions.Template:
    # Once: Template.from_stack synthesizes the whole app, its three stages included, each time.
    return assertions.Template.from_stack(pipeline_stack)


@pytest.fixture(scope="module")
def pipeline(pipeline_template: assertions.Template) -> dict[str, Any]:
    (resource,) = pipeline_template.find_resources("AWS::CodePipeline::Pipeline").values()
    return dict(resource["Properties"])


def actions(pipeline: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    (found,) = [s for s in pipeline["Stages"] if s["Name"] == stage]
    return list(found["Actions"])


def test_stages_run_source_build_then_dev_staging_prod(pipeline: dict[str, Any]) -> None:
    names = [s["Name"] for s in pipeline["Stages"]]
    assert names[:2] == ["Source", "Build"]
    assert [n for n in names if n in ("Dev", "Staging", "Prod")] == ["Dev", "Staging", "Prod"]
    assert names.index("UpdatePipeline") < names.index("Dev")


def test_source_is_the_configured_repository_connection(pipeline: dict[str, Any]) -> None:
    (source,) = actions(pipeline, "Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["FullRepositoryId"] == PIPELINE.repository
    assert source["Configuration"]["BranchName"] == PIPELINE.branch
    assert source["Configuration"]["ConnectionArn"] == PIPELINE.connection_arn


def test_repository_connection_can_be_set_from_context() -> None:
    app = cdk.App(
        context={"pipeline_repository": "team/models", "pipeline_branch": "release"},
        builtin_cloud_formation_validation=False,
    )
    stack = build_pipeline_app(app)
    template = json.dumps(assertions.Template.from_stack(stack).to_json())
    assert '"FullRepositoryId": "team/models"' in template
    assert '"BranchName": "release"' in template


def test_prod_waits_for_a_manual_approval(pipeline: dict[str, Any]) -> None:
    prod = actions(pipeline, "Prod")
    approvals = [a for a in prod if a["ActionTypeId"]["Category"] == "Approval"]
    deploys = [a for a in prod if a["ActionTypeId"]["Category"] == "Deploy"]
    assert [a["Name"] for a in approvals] == ["PromoteToProd"]
    assert deploys
    assert all(approvals[0]["RunOrder"] < d["RunOrder"] for d in deploys)
    for stage in ("Dev", "Staging"):
        assert not [a for a in actions(pipeline, stage) if a["ActionTypeId"]["Category"] == "Approval"]


def test_synth_step_runs_the_test_command_review_and_synth(pipeline_template: assertions.Template) -> None:
    specs = [
        json.loads(p["Properties"]["Source"]["BuildSpec"])
        for p in pipeline_template.find_resources("AWS::CodeBuild::Project").values()
        if "make test" in p["Properties"]["Source"].get("BuildSpec", "")
    ]
    (spec,) = specs
    assert spec["phases"]["build"]["commands"] == ["make test", "make review", "make synth-pipeline"]
    assert spec["artifacts"]["secondary-artifacts"]  # the review report is published as an artifact
    assert any(a.get("base-directory") == "review" for a in spec["artifacts"]["secondary-artifacts"].values())


@pytest.mark.parametrize(
    ("stage", "account", "region"), [("Staging", "111111111111", "us-west-2"), ("Prod", "222222222222", "us-east-1")]
)
def test_stages_deploy_through_their_own_accounts_cdk_roles(
    pipeline: dict[str, Any], stage: str, account: str, region: str
) -> None:
    deploys = [a for a in actions(pipeline, stage) if a["ActionTypeId"]["Category"] == "Deploy"]
    assert [a["Configuration"]["ActionMode"] for a in deploys] == ["CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE"]
    for action in deploys:
        assert f":iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{region}" in json.dumps(action["RoleArn"])
    exec_role = json.dumps(deploys[0]["Configuration"]["RoleArn"])
    assert f":iam::{account}:role/cdk-hnb659fds-cfn-exec-role-{account}-{region}" in exec_role


def test_each_stage_is_smoke_tested_with_the_invoke_client(pipeline: dict[str, Any]) -> None:
    for stage, env in (("Dev", "dev"), ("Staging", "staging"), ("Prod", "prod")):
        builds = [a for a in actions(pipeline, stage) if a["ActionTypeId"]["Category"] == "Build"]
        assert [a["Name"] for a in builds] == [f"SmokeInvoke-{env}"]
        variables = json.loads(builds[0]["Configuration"]["EnvironmentVariables"])
        assert [v["name"] for v in variables] == ["SMOKE_ROLE_ARN"]
        assert variables[0]["value"].endswith(".SmokeTestRoleArn}")


def test_smoke_step_invokes_through_the_stacks_smoke_role(pipeline_template: assertions.Template) -> None:
    template = json.dumps(pipeline_template.to_json())
    for env in ("dev", "staging", "prod"):
        assert f"-m tools.invoke {env} --payload examples/smoke-request.json --assume-role" in template


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_each_stage_holds_the_stack_make_synth_produces_with_the_smoke_test_role(
    pipeline_stack: PipelineStack, env: str
) -> None:
    (stage,) = [s for s in pipeline_stack.stages if s.environment_config.name == env]
    app = cdk.App(
        context=cdk_json_context() | {"env": env, "smoke_test_role": "true"}, builtin_cloud_formation_validation=False
    )
    direct = build_app(app, {})[env]
    assert stage.stack.stack_name == f"SageMakerEI-{env}"
    assert assertions.Template.from_stack(stage.stack).to_json() == assertions.Template.from_stack(direct).to_json()


def test_dev_stage_is_the_dev_stack_in_devs_own_account_not_the_tooling_account(pipeline_stack: PipelineStack) -> None:
    (stage,) = [s for s in pipeline_stack.stages if s.environment_config.name == "dev"]
    dev_account = ENVIRONMENTS["dev"].pipeline_stage_account
    assert dev_account is not None
    app = cdk.App(
        context=cdk_json_context() | {"env": "dev", "smoke_test_role": "true"}, builtin_cloud_formation_validation=False
    )
    direct = build_app(app, {"CDK_DEFAULT_ACCOUNT": dev_account, "CDK_DEFAULT_REGION": PIPELINE.region})["dev"]
    assert (stage.account, stage.region) == (dev_account, PIPELINE.region)
    assert stage.account != PIPELINE.account
    assert assertions.Template.from_stack(stage.stack).to_json() == assertions.Template.from_stack(direct).to_json()
