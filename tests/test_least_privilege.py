"""Least privilege across accounts, read from every synthesized template: the environments in both
accelerator modes, and the pipeline (its stack, its cross-region support stack and its stages) in
the checked-in tooling account and moved to another one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from stacks.app_builder import PipelineSettingsError, build_app, build_pipeline_app
from stacks.app_errors import synth_or_exit
from stacks.environments import ENVIRONMENTS, PIPELINE
from stacks.pipeline_stack import pinned_cli_version
from tests.conftest import ROOT, cdk_json_context
from tools.review import access_rows

Template = dict[str, Any]
MOVED_ACCOUNT = "444444444444"
MOVED_CONNECTION = f"arn:aws:codeconnections:us-east-1:{MOVED_ACCOUNT}:connection/11111111-1111-1111-1111-111111111111"
MOVED_CONTEXT = {"pipeline_account": MOVED_ACCOUNT, "pipeline_connection_arn": MOVED_CONNECTION}
# Condition keys that tie a service principal's grant to this account, a resource, or a service path.
SERVICE_GRANT_CONDITION_KEYS = ("aws:SourceAccount", "aws:SourceArn", "kms:ViaService", "kms:EncryptionContext")


def synth_assembly(outdir: Path, context: dict[str, str]) -> dict[str, Template]:
    """Every template of a synthesized app, nested stage assemblies included, by file name."""
    app = cdk.App(context=cdk_json_context() | context, outdir=str(outdir), builtin_cloud_formation_validation=False)
    if context.get("pipeline") == "true":
        build_pipeline_app(app)
    else:
        build_app(app, {})
    app.synth()
    return {path.name: json.loads(path.read_text()) for path in sorted(outdir.rglob("*.template.json"))}


@pytest.fixture(scope="module")
def environment_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Template]]:
    return {
        mode: synth_assembly(tmp_path_factory.mktemp(mode), {"accelerator_mode": mode})
        for mode in ("elastic-inference", "successor")
    }


@pytest.fixture(scope="module")
def pipeline_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Template]]:
    return {
        "pipeline": synth_assembly(tmp_path_factory.mktemp("pipeline"), {"pipeline": "true"}),
        "pipeline-moved": synth_assembly(tmp_path_factory.mktemp("moved"), {"pipeline": "true"} | MOVED_CONTEXT),
        "smoke-role-moved": synth_assembly(
            tmp_path_factory.mktemp("smoke"), {"smoke_test_role": "true"} | MOVED_CONTEXT
        ),
    }


@pytest.fixture(scope="module")
def every_template(
    environment_sets: dict[str, dict[str, Template]], pipeline_sets: dict[str, dict[str, Template]]
) -> dict[str, Template]:
    templates = {
        f"{name}/{file}": template
        for name, templates in (environment_sets | pipeline_sets).items()
        for file, template in templates.items()
    }
    assert len(templates) == 3 + 3 + 5 + 5 + 3  # environments x 2 modes; pipeline, support stack, 3 stages x 2
    return templates


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: Template, *kinds: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) of every policy document of these kinds: "trust", "identity", "resource"."""
    for logical_id, resource in template.get("Resources", {}).items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        documents = []
        if kind == "AWS::IAM::Role" and "trust" in kinds:
            documents.append(properties["AssumeRolePolicyDocument"])
        if "identity" in kinds:
            if kind == "AWS::IAM::Role":
                documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
            if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                documents.append(properties["PolicyDocument"])
        if "resource" in kinds:
            if kind == "AWS::KMS::Key":
                documents.append(properties["KeyPolicy"])
            if kind in ("AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy"):
                documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in as_list(document["Statement"]):
                yield logical_id, statement


def principals(statement: dict[str, Any], kind: str) -> list[Any]:
    principal = statement.get("Principal", {})
    return [] if principal == "*" else as_list(principal.get(kind, []))


def test_make_synth_templates_have_no_smoke_test_role(environment_sets: dict[str, dict[str, Template]]) -> None:
    for templates in environment_sets.values():
        for template in templates.values():
            assert not [i for i in template["Resources"] if i.startswith("SmokeTest")]
            assert "SmokeTestRoleArn" not in template.get("Outputs", {})


def test_no_role_trusts_an_account_root_without_a_condition(every_template: dict[str, Template]) -> None:
    found = []
    for name, template in every_template.items():
        for logical_id, statement in statements(template, "trust"):
            roots = [p for p in principals(statement, "AWS") if ":root" in json.dumps(p)]
            if roots and statement["Effect"] == "Allow":
                assert statement.get("Condition"), (name, logical_id, statement)
                found.append(logical_id)
    assert found  # the smoke-test roles of the stages are among them


def unconditioned_service_grants(templates: dict[str, Template]) -> list[tuple[str, str, Any]]:
    found = []
    for name, template in templates.items():
        for logical_id, statement in statements(template, "resource"):
            services = principals(statement, "Service")
            conditions = json.dumps(statement.get("Condition", {}))
            if (
                services
                and statement["Effect"] == "Allow"
                and not any(k in conditions for k in SERVICE_GRANT_CONDITION_KEYS)
            ):
                found.append((name, logical_id, services))
    return found


def test_every_service_principal_grant_in_a_key_topic_or_bucket_policy_is_conditioned(
    every_template: dict[str, Template],
) -> None:
    assert unconditioned_service_grants(every_template) == []


def test_an_unconditioned_service_grant_is_found() -> None:
    key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}
    ]}}}  # fmt: skip
    assert unconditioned_service_grants({"probe": {"Resources": {"Key": key}}}) == [
        ("probe", "Key", ["logs.amazonaws.com"])
    ]


def test_no_iam_policy_allows_kms_actions_on_every_resource(every_template: dict[str, Template]) -> None:
    for name, template in every_template.items():
        for logical_id, statement in statements(template, "identity"):
            actions = as_list(statement["Action"])
            if statement["Effect"] == "Allow" and any(a == "*" or a.startswith("kms:") for a in actions):
                assert "*" not in as_list(statement["Resource"]), (name, logical_id, statement)


def test_moving_the_pipeline_account_leaves_nothing_trusting_the_old_one(
    pipeline_sets: dict[str, dict[str, Template]],
) -> None:
    for name in ("pipeline-moved", "smoke-role-moved"):
        for file, template in pipeline_sets[name].items():
            assert PIPELINE.account not in json.dumps(template), (name, file)
    trusts = [
        json.dumps(statement)
        for template in pipeline_sets["smoke-role-moved"].values()
        for logical_id, statement in statements(template, "trust")
        if logical_id.startswith("SmokeTestRole")
    ]
    assert len(trusts) == 3
    assert all(f":iam::{MOVED_ACCOUNT}:root" in t and f":iam::{MOVED_ACCOUNT}:role/" in t for t in trusts)


def stage_templates(templates: dict[str, Template]) -> dict[str, Template]:
    """Stage stacks by environment name, from their file names (SageMakerEIpipelineProdSageMakerEIprod...)."""
    found = {}
    for file, template in templates.items():
        for env in ENVIRONMENTS:
            if file.startswith(f"SageMakerEIpipeline{env.capitalize()}SageMakerEI{env}"):
                found[env] = template
    assert set(found) == set(ENVIRONMENTS)
    return found


def test_each_stage_smoke_test_role_is_trusted_only_by_its_own_build_role(
    pipeline_sets: dict[str, dict[str, Template]],
) -> None:
    templates = pipeline_sets["pipeline"]
    pipeline = templates["SageMakerEI-pipeline.template.json"]["Resources"]
    for env, template in stage_templates(templates).items():
        role_name = f"SageMakerEI-pipeline-smoke-{env}"
        (statement,) = [s for i, s in statements(template, "trust") if i.startswith("SmokeTestRole")]
        assert statement == {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PIPELINE.account}:root"},
            "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{PIPELINE.account}:role/{role_name}"}},
        }
        # That name is the role of the stage's smoke-test CodeBuild project, and of nothing else.
        (role_id,) = [i for i, r in pipeline.items() if r["Properties"].get("RoleName") == role_name]
        projects = [
            r["Properties"]["Source"]["BuildSpec"]
            for r in pipeline.values()
            if r["Type"] == "AWS::CodeBuild::Project"
            and r["Properties"]["ServiceRole"] == {"Fn::GetAtt": [role_id, "Arn"]}
        ]
        assert len(projects) == 1
        assert f"-m tools.invoke {env} " in projects[0]


def test_smoke_test_role_may_only_read_its_stack_and_invoke_its_endpoints(
    pipeline_sets: dict[str, dict[str, Template]],
) -> None:
    for template in stage_templates(pipeline_sets["pipeline"]).values():
        policy = template["Resources"]
        (document,) = [r["Properties"]["PolicyDocument"] for i, r in policy.items() if i.startswith("SmokeTestPolicy")]
        assert document["Statement"] == [
            {"Action": "cloudformation:DescribeStacks", "Effect": "Allow", "Resource": {"Ref": "AWS::StackId"}},
            {
                "Action": ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"],
                "Effect": "Allow",
                "Resource": {"Ref": "ImageClassifierC17D310E"},
            },
        ]


def test_the_tooling_account_holds_no_workload_environment() -> None:
    for env in ENVIRONMENTS.values():
        assert env.stage_account is not None, env.name
        assert env.stage_account != PIPELINE.account, env.name


def pipeline_error(context: dict[str, str]) -> str:
    app = cdk.App(context={"pipeline": "true"} | context, builtin_cloud_formation_validation=False)
    with pytest.raises(PipelineSettingsError) as error:
        build_pipeline_app(app)
    return str(error.value)


def test_pipeline_refuses_a_tooling_account_that_holds_an_environment() -> None:
    connection = "arn:aws:codeconnections:us-east-1:111111111111:connection/x"
    message = pipeline_error({"pipeline_account": "111111111111", "pipeline_connection_arn": connection})
    assert (
        "pipeline_account: '111111111111' is also staging's account; the tooling account must hold no workload "
        "environment" in message
    )


def test_pipeline_refuses_a_connection_outside_the_tooling_account() -> None:
    message = pipeline_error({"pipeline_account": MOVED_ACCOUNT})
    assert (
        f"pipeline_connection_arn: expected a connection in the pipeline account {MOVED_ACCOUNT}, "
        f"got {PIPELINE.connection_arn!r}" in message
    )


def test_pipeline_account_must_be_an_account_id() -> None:
    assert "pipeline_account: expected a 12-digit AWS account id, got '4444'" in pipeline_error(
        {"pipeline_account": "4444"}
    )


def codebuild_projects(templates: dict[str, Template]) -> list[dict[str, Any]]:
    pipeline = templates["SageMakerEI-pipeline.template.json"]["Resources"]
    return [r["Properties"] for r in pipeline.values() if r["Type"] == "AWS::CodeBuild::Project"]


def test_self_update_installs_the_cli_that_package_lock_pins(pipeline_sets: dict[str, dict[str, Template]]) -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert pinned_cli_version() == lock["packages"]["node_modules/aws-cdk"]["version"]
    specs = [p["Source"]["BuildSpec"] for p in codebuild_projects(pipeline_sets["pipeline"])]
    installs = [s for s in specs if "npm install" in s]
    assert len(installs) == 1
    assert f"npm install -g aws-cdk@{pinned_cli_version()}" in installs[0]
    # The synth step runs `make`, whose CLI is the one npm ci installed from the lockfile.
    (synth,) = [s for s in specs if "make synth-pipeline" in s]
    assert "npx" not in synth
    assert "npm install" not in synth


def test_every_codebuild_project_runs_the_current_standard_image(
    pipeline_sets: dict[str, dict[str, Template]],
) -> None:
    images = {p["Environment"]["Image"] for p in codebuild_projects(pipeline_sets["pipeline"])}
    assert images == {"aws/codebuild/standard:8.0"}


def test_synthesized_templates_are_deterministic(tmp_path: Path, pipeline_sets: dict[str, dict[str, Template]]) -> None:
    again = synth_assembly(tmp_path, {"pipeline": "true"})
    assert json.dumps(again, sort_keys=True) == json.dumps(pipeline_sets["pipeline"], sort_keys=True)


def test_the_smoke_test_role_can_be_asked_for_outside_the_pipeline() -> None:
    app = cdk.App(context={"smoke_test_role": "true", "env": "prod"}, builtin_cloud_formation_validation=False)
    template = assertions.Template.from_stack(build_app(app, {})["prod"])
    template.resource_count_is("AWS::IAM::Role", 2)  # the execution role and the smoke-test role
    assert "SmokeTestRoleArn" in template.to_json()["Outputs"]


EXECUTION_POLICY = ROOT / "docs" / "cfn-execution-policy.json"
SERVICE_OF_TYPE = {
    "AWS::ApplicationAutoScaling": "application-autoscaling",
    "AWS::CloudWatch": "cloudwatch",
    "AWS::IAM": "iam",
    "AWS::KMS": "kms",
    "AWS::S3": "s3",
    "AWS::SNS": "sns",
    "AWS::SageMaker": "sagemaker",
}


def test_bootstrap_execution_policy_covers_every_workload_resource_type_and_no_whole_service(
    environment_sets: dict[str, dict[str, Template]], pipeline_sets: dict[str, dict[str, Template]]
) -> None:
    document = json.loads(EXECUTION_POLICY.read_text())
    granted = [a for s in document["Statement"] for a in as_list(s["Action"])]
    assert not [a for a in granted if a == "*" or a.endswith(":*")]
    workload = [t for templates in environment_sets.values() for t in templates.values()]
    workload += list(stage_templates(pipeline_sets["pipeline"]).values())
    types = {r["Type"] for t in workload for r in t["Resources"].values()}
    for type_name in types:
        service = SERVICE_OF_TYPE["::".join(type_name.split("::")[:2])]
        assert any(a.startswith(f"{service}:") for a in granted), type_name
    # Roles the stacks create can only be passed to SageMaker.
    (pass_role,) = [s for s in document["Statement"] if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_documented_bootstrap_trusts_the_tooling_account_only() -> None:
    readme = (ROOT / "docs" / "review-and-pipeline.md").read_text()
    block = readme[readme.index("cdk bootstrap aws://") : readme.index("```", readme.index("cdk bootstrap aws://"))]
    assert "AdministratorAccess" not in block
    trusted = set(re.findall(r"--trust(?:-for-lookup)?[ =](\S+)", block))
    assert trusted == {PIPELINE.account}
    assert "--cloudformation-execution-policies arn:aws:iam::$account:policy/SageMakerEIDeploy" in block
    targets = {env.stage_account or "" for env in ENVIRONMENTS.values()}
    assert all(account in block for account in targets)


def test_review_report_shows_who_may_assume_administer_and_use(
    pipeline_sets: dict[str, dict[str, Template]],
) -> None:
    rows = {(r[0], r[1]): r[2:] for r in access_rows(stage_templates(pipeline_sets["pipeline"])["prod"])}
    tooling = f"arn:aws:iam::{PIPELINE.account}"
    assert rows[("SmokeTestRole434B99C6", "-")] == (
        "Allow",
        f"AWS: {tooling}:root",
        "sts:AssumeRole",
        f"ArnEquals aws:PrincipalArn = {tooling}:role/SageMakerEI-pipeline-smoke-prod",
    )
    assert rows[("ImageClassifierKeyC211A5C1", "UseThroughSageMakerAndS3")][3] == (
        "StringEquals kms:ViaService = sagemaker.us-east-1.amazonaws.com, s3.us-east-1.amazonaws.com"
    )
    assert rows[("ImageClassifierKeyC211A5C1", "KeyAdministration")][2].startswith("24 actions: ")


def test_pipeline_settings_errors_print_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = cdk.App(context={"pipeline": "true", "pipeline_account": "111111111111"}, outdir=str(tmp_path))
    with pytest.raises(SystemExit):
        synth_or_exit(str(tmp_path), lambda: build_pipeline_app(app))
    assert capsys.readouterr().err.splitlines() == [
        f"error: pipeline_connection_arn: expected a connection in the pipeline account 111111111111, "
        f"got {PIPELINE.connection_arn!r}",
        "error: pipeline_account: '111111111111' is also staging's account; the tooling account must hold no "
        "workload environment",
    ]
