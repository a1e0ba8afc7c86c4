"""`cdk synth` through the real, locally pinned CLI builds every environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from stacks.app_builder import build_app
from tests.conftest import ROOT, cdk_json_context
from tools.assembly import read_stacks
from tools.synth_summary import variant_rows

pytestmark = pytest.mark.cli
CLI_REGION = "us-east-1"


def cdk_cli() -> str:
    path = ROOT / "node_modules" / ".bin" / "cdk"
    assert path.exists(), "the CDK CLI is installed by `make setup` (npm ci)"
    return str(path)


def run_synth(outdir: Path, *context: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        # The CLI hands its region to the app as CDK_DEFAULT_REGION; fix it so dev is reproducible.
        "AWS_REGION": CLI_REGION,
    }
    for name in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        env.pop(name, None)
    return subprocess.run(
        [cdk_cli(), "synth", "--quiet", "--output", str(outdir), *context],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    result = run_synth(outdir)
    assert result.returncode == 0, result.stderr
    return outdir


def test_cli_synth_builds_all_three_environments(cli_out: Path) -> None:
    names = [stack.name for stack in read_stacks(cli_out)]
    assert names == ["SageMakerEI-dev", "SageMakerEI-staging", "SageMakerEI-prod"]


def test_cli_templates_are_the_templates_the_tests_check(
    cli_out: Path, environment_templates: dict[str, assertions.Template]
) -> None:
    # The CLI adds path metadata, and hands dev its region; apart from that, what `make synth`
    # shows is what the snapshot and assertion tests check.
    cli_dev_app = cdk.App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
    cli_dev = assertions.Template.from_stack(
        build_app(cli_dev_app, {"CDK_DEFAULT_REGION": CLI_REGION})["dev"]
    ).to_json()
    expected = {name: template.to_json() for name, template in environment_templates.items()} | {"dev": cli_dev}
    for stack in read_stacks(cli_out):
        for resource in stack.template["Resources"].values():
            metadata = resource["Metadata"]
            assert metadata.pop("aws:cdk:path").startswith(f"{stack.name}/")
            if not metadata:
                del resource["Metadata"]
        assert stack.template == expected[stack.name.removeprefix("SageMakerEI-")]


def test_summary_lists_every_variant_with_its_accelerator(cli_out: Path) -> None:
    rows = [row for stack in read_stacks(cli_out) for row in variant_rows(stack.name, stack.template)]
    assert [(r.stack, r.endpoint, r.variant, r.accelerator) for r in rows] == [
        ("SageMakerEI-dev", "ImageClassifier", "AllTraffic", "ml.eia2.medium"),
        ("SageMakerEI-staging", "ImageClassifier", "AllTraffic", "ml.eia2.medium"),
        ("SageMakerEI-prod", "ImageClassifier", "Primary", "ml.eia2.large"),
        ("SageMakerEI-prod", "ImageClassifier", "Canary", "ml.eia2.xlarge"),
    ]
    summary = subprocess.run(
        [sys.executable, "-m", "tools.synth_summary", str(cli_out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    printed_rows = [line.split() for line in summary.splitlines()]
    assert printed_rows[0] == [
        "stack",
        "mode",
        "endpoint",
        "variant",
        "instance",
        "type",
        "count",
        "weight",
        "accelerator",
    ]
    assert [
        "SageMakerEI-prod",
        "elastic-inference",
        "ImageClassifier",
        "Canary",
        "ml.c5.xlarge",
        "1",
        "0.1",
        "ml.eia2.xlarge",
    ] in printed_rows
    assert "successor mapping" not in summary


def test_cli_synth_of_an_unknown_environment_fails_with_its_name(tmp_path: Path) -> None:
    result = run_synth(tmp_path, "-c", "env=qa")
    assert result.returncode != 0
    assert "env: unknown environment 'qa'" in result.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


def recommended_feature_flags() -> dict[str, Any]:
    """The flags and values the installed aws-cdk-lib recommends (what `cdk init` writes)."""
    (bundle,) = (Path(cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(bundle) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        flags: dict[str, Any] = json.load(member)
    return flags


def test_cdk_json_sets_every_recommended_feature_flag() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    recommended = recommended_feature_flags()
    assert len(recommended) > 80
    assert {k: context.get(k) for k in recommended} == recommended


def test_cli_synth_prints_no_unconfigured_flags_notice(tmp_path: Path) -> None:
    result = run_synth(tmp_path / "out", "-c", "env=dev")
    assert result.returncode == 0, result.stderr
    assert "feature flags are not configured" not in result.stdout + result.stderr
