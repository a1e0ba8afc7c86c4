"""cdk-nag's four packs and checkov find nothing unacknowledged in any environment, in either mode."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import pytest
from aws_cdk import aws_iam as iam

from stacks.app_builder import build_app
from tests.conftest import ROOT, cdk_json_context

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
MODES = ["elastic-inference", "successor"]
# "Pack::Pack-Rule" or "Pack::Pack-Rule[finding]", as cdk-nag prints them; or CDK's own rule ids.
ACKNOWLEDGMENT_ID = re.compile(r"^(?P<pack>[\w.]+)::(?P=pack)-\w+(\[.+\])?$|^CloudFormation-Validate::F\d+$")


NAG_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def add_nag_packs(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(
        cdk_nag.AwsSolutionsChecks(app),
        cdk_nag.HIPAASecurityChecks(app),
        cdk_nag.NIST80053R5Checks(app),
        cdk_nag.PCIDSS321Checks(app),
    )


@pytest.fixture(scope="session", params=MODES)
def nagged_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.App, Path]:
    outdir = tmp_path_factory.mktemp(f"nag-{request.param}")
    app = cdk.App(
        # With the pipeline's smoke-test role, so its stages' stacks are checked too.
        context=cdk_json_context() | {"accelerator_mode": request.param, "smoke_test_role": "true"},
        outdir=str(outdir),
        builtin_cloud_formation_validation=False,
    )
    build_app(app, {})
    add_nag_packs(app)
    return app, outdir


def test_nag_packs_report_no_unacknowledged_finding(nagged_app: tuple[cdk.App, Path]) -> None:
    app, outdir = nagged_app
    app.synth()  # raises "ValidationFailed" on any unacknowledged finding
    report = json.loads((outdir / "validation-report.json").read_text())
    plugins = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert set(plugins) >= set(NAG_PACKS)
    for name in NAG_PACKS:
        assert plugins[name]["violations"] == []
        assert plugins[name]["conclusion"] == "success"
    # With @aws-cdk/core:annotationsInValidationReport the construct's own warnings are in the report
    # too: only ours, only warnings (each acknowledgeable by its id).
    annotations = [v for p in report["pluginReports"] if p["pluginName"] not in NAG_PACKS for v in p["violations"]]
    assert annotations
    assert all(v["ruleName"].startswith("Annotation::sagemaker-ei-endpoint:") for v in annotations)
    assert all(v["severity"] == "warning" for v in annotations)


def test_every_nag_acknowledgment_is_used_by_a_finding(nagged_app: tuple[cdk.App, Path]) -> None:
    app, outdir = nagged_app
    app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    used = {
        (s["acknowledgedAt"], s["acknowledgedId"])
        for p in report["pluginReports"]
        if p["pluginName"] in NAG_PACKS
        for s in p["suppressedViolations"]
    }
    declared = {
        (path, rule)
        for path, rules in acknowledgments(app).items()
        for rule in rules
        if not rule.startswith("CloudFormation-Validate::")
    }
    assert declared == used


def test_nag_would_fail_an_inline_wildcard_policy(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    stack = cdk.Stack(app, "Probe")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    add_nag_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()


def acknowledgments(app: cdk.App) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                found.setdefault(construct.node.path, {}).update(entry.data)
    return found


def test_every_acknowledgment_names_an_exact_finding_with_a_reason(nagged_app: tuple[cdk.App, Path]) -> None:
    app, _ = nagged_app
    found = acknowledgments(app)
    assert found
    for path, rules in found.items():
        for rule, reason in rules.items():
            assert ACKNOWLEDGMENT_ID.match(rule), (path, rule)
            assert len(reason) > 60, (path, rule, reason)
            # AwsSolutions-IAM5 must name the one wildcard resource it accepts.
            assert not rule.startswith("AwsSolutions::AwsSolutions-IAM5") or "[Resource::" in rule


def test_only_data_and_policy_resources_carry_acknowledgments(nagged_app: tuple[cdk.App, Path]) -> None:
    app, _ = nagged_app
    allowed = tuple(
        f"/{endpoint}{part}"
        for endpoint in ("ImageClassifier", "ObjectDetector")
        for part in ("/CaptureBucket", "/ExecutionPolicy", "/EndpointConfig", "")
    )
    for path in acknowledgments(app):
        assert path.endswith(allowed), path


def run_checkov(directory: Path) -> dict[str, Any]:
    assert CHECKOV.exists(), "checkov is installed by `make setup` into .venv-checkov"
    result = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(directory),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=os.environ | {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert result.returncode in (0, 1), result.stderr
    output: dict[str, Any] = json.loads(result.stdout)
    return output


# checkov's passed, failed and skipped checks of each directory it was run over.
CheckovResults = dict[str, dict[str, list[dict[str, Any]]]]
BAD_TEMPLATE = {
    "Resources": {
        "Model": {
            "Type": "AWS::SageMaker::Model",
            "Properties": {
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/x",
                "PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
            },
        }
    }
}


@pytest.fixture(scope="session")
def checkov_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CheckovResults]:
    """One checkov run (its start-up alone takes seconds) over both modes' templates and a template with a
    known failure, each in a directory of its own; the results split by that directory."""
    root = tmp_path_factory.mktemp("checkov")
    for mode in MODES:
        app = cdk.App(
            # With the pipeline's smoke-test role, so its stages' stacks are checked too.
            context=cdk_json_context() | {"accelerator_mode": mode, "smoke_test_role": "true"},
            outdir=str(root / mode),
            builtin_cloud_formation_validation=False,
        )
        build_app(app, {})
        app.synth()
    (root / "bad").mkdir()
    (root / "bad" / "bad.template.json").write_text(json.dumps(BAD_TEMPLATE))
    results = run_checkov(root)["results"]
    kinds = ("passed_checks", "failed_checks", "skipped_checks")
    return root, {
        directory: {kind: [c for c in results[kind] if c["file_path"].startswith(f"/{directory}/")] for kind in kinds}
        for directory in [*MODES, "bad"]
    }


@pytest.mark.parametrize("mode", MODES)
def test_checkov_fails_no_check(checkov_results: tuple[Path, CheckovResults], mode: str) -> None:
    root, by_directory = checkov_results
    results = by_directory[mode]
    templates = sorted((root / mode).glob("*.template.json"))
    assert len(templates) == 3
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in results["failed_checks"]]
    assert failed == []
    assert len(results["passed_checks"]) > 50
    # The skips: CKV_AWS_18 (bucket access logging) on each created capture bucket, staging and prod;
    # CKV_AWS_370 (model network isolation) on exactly the models that run without isolation because AWS
    # documents they cannot have it (EI; the TensorFlow image), each skip carrying that reason.
    models = [
        r
        for t in templates
        for r in json.loads(t.read_text())["Resources"].values()
        if r["Type"] == "AWS::SageMaker::Model"
    ]
    unisolated = [m for m in models if not m["Properties"]["EnableNetworkIsolation"]]
    assert unisolated
    assert all(m["Metadata"]["checkov"]["skip"][0]["id"] == "CKV_AWS_370" for m in unisolated)
    skipped = sorted(c["check_id"] for c in results["skipped_checks"])
    assert skipped == ["CKV_AWS_18"] * 2 + ["CKV_AWS_370"] * len(unisolated)


def test_checkov_reports_a_failure_when_there_is_one(checkov_results: tuple[Path, CheckovResults]) -> None:
    _, by_directory = checkov_results
    failed = {c["check_id"] for c in by_directory["bad"]["failed_checks"]}
    assert "CKV_AWS_370" in failed  # SageMaker model network isolation
