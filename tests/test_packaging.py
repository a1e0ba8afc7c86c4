"""The construct ships as its own distribution without shadowing the `constructs` library."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import constructs

import sagemaker_ei_endpoint

ROOT = Path(__file__).resolve().parent.parent


def test_import_constructs_is_still_the_real_library() -> None:
    assert hasattr(constructs, "Construct")
    assert importlib.metadata.version("constructs") == "10.8.1"
    site_packages = Path(str(importlib.metadata.distribution("constructs").locate_file(""))).resolve()
    assert Path(constructs.__file__ or "").resolve().is_relative_to(site_packages)
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_the_construct_imports_from_its_installed_distribution() -> None:
    assert importlib.metadata.version("sagemaker-ei-endpoint") == "0.1.0"
    assert Path(sagemaker_ei_endpoint.__file__).resolve().is_relative_to(ROOT / "constructs" / "src")
    assert issubclass(sagemaker_ei_endpoint.EIEndpoint, constructs.Construct)


def test_the_image_catalog_ships_inside_the_package() -> None:
    package_dir = Path(sagemaker_ei_endpoint.__file__).parent
    assert (package_dir / "data" / "image_catalog.json").is_file()


def test_imports_load_only_the_aws_cdk_modules_every_stack_uses() -> None:
    # Optional features (VPC, alarms, autoscaling, assets, the pipeline) load their aws_cdk modules
    # when used: each module costs import time on every synth (make bench).
    import subprocess
    import sys

    script = (
        "import sys, stacks.app_builder; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('aws_cdk.aws_') and '._' not in m)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    lazy = {"aws_cdk.aws_ec2", "aws_cdk.aws_cloudwatch", "aws_cdk.aws_applicationautoscaling"}
    lazy |= {"aws_cdk.aws_ecr_assets", "aws_cdk.aws_s3_assets", "aws_cdk.aws_codebuild", "aws_cdk.aws_codepipeline"}
    assert not lazy & set(loaded)
    assert {"aws_cdk.aws_iam", "aws_cdk.aws_kms", "aws_cdk.aws_sagemaker"} <= set(loaded)


def test_aws_cdk_lib_owns_its_cloud_assembly_schema_binding() -> None:
    # aws-cdk-cloud-assembly-schema writes a binding of its own into the same folder; if it lands last,
    # every assertions.Annotations lookup fails with "Unknown interface" (seen on a fresh clone).
    # `make setup` reinstalls aws-cdk-lib last (scripts/lock_entry.py).
    import aws_cdk.cloud_assembly_schema as schema

    text = Path(schema.__file__).read_text()
    assert 'jsii_type="aws-cdk-lib.cloud_assembly_schema.' in text
    assert 'jsii_type="@aws-cdk/cloud-assembly-schema.' not in text


def test_lock_entry_prints_one_package_with_its_hashes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("lock_entry", ROOT / "scripts" / "lock_entry.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lock = "a==1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via x\nb==2 \\\n    --hash=sha256:cc\n"
    assert module.entry(lock, "a") == "a==1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
    assert module.entry(lock, "b") == "b==2 \\\n    --hash=sha256:cc\n"
