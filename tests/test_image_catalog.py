"""The image catalog is generated from sagemaker-core, not typed by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sagemaker_ei_endpoint import EIFramework
from sagemaker_ei_endpoint.image_catalog import framework_versions
from tests.conftest import ROOT

GENERATOR = ROOT / "scripts" / "generate_image_catalog.py"
CATALOG = ROOT / "constructs/src/sagemaker_ei_endpoint/data/image_catalog.json"


@pytest.mark.network
def test_committed_catalog_is_what_the_generator_writes_today() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr


def test_generator_rewrites_a_stale_catalog(tmp_path: Path) -> None:
    config_dir = tmp_path / "image_uri_config"
    config_dir.mkdir()
    tf = {
        "eia": {
            "processors": ["cpu"],
            "version_aliases": {"9.9": "9.9.0"},
            "versions": {"9.9.0": {"repository": "tf-eia", "registries": {"us-east-1": "111122223333"}}},
        },
        "inference": {
            "processors": ["cpu", "gpu"],
            "versions": {
                "9.9.0": {
                    "repository": "tf",
                    "py_versions": ["py38", "py39"],
                    "registries": {"us-east-1": "111122223333"},
                }
            },
        },
    }
    for name in ("tensorflow", "mxnet", "pytorch"):
        (config_dir / f"{name}.json").write_text(json.dumps(tf))
    for name in ("image-classification", "object-detection"):
        (config_dir / f"{name}.json").write_text(
            json.dumps({"versions": {"1": {"repository": name, "registries": {"eu-west-1": "444455556666"}}}})
        )
    output = tmp_path / "catalog.json"
    output.write_text("{}")
    check = [sys.executable, str(GENERATOR), "--config-dir", str(config_dir), "--output", str(output)]
    assert subprocess.run([*check, "--check"], capture_output=True, check=False).returncode == 1
    subprocess.run(check, capture_output=True, check=True)
    catalog = json.loads(output.read_text())
    assert catalog["frameworks"]["tensorflow"]["eia"]["versions"]["9.9.0"]["tags"] == {"cpu": "9.9.0-cpu"}
    assert catalog["frameworks"]["tensorflow"]["inference"]["versions"]["9.9.0"]["tags"] == {
        "cpu": "9.9.0-cpu-py39",
        "gpu": "9.9.0-gpu-py39",
    }
    assert catalog["algorithms"]["object-detection"] == {
        "repository": "object-detection",
        "tag": "1",
        "registries": {"eu-west-1": "444455556666"},
    }
    assert subprocess.run([*check, "--check"], capture_output=True, check=False).returncode == 0


def test_catalog_has_the_ei_versions_aws_published() -> None:
    assert framework_versions(EIFramework.TENSORFLOW) == (
        "1.10.0",
        "1.11.0",
        "1.12.0",
        "1.13.0",
        "1.14.0",
        "1.15.0",
        "2.0.0",
        "2.3.0",
    )
    assert framework_versions(EIFramework.MXNET) == ("1.3.0", "1.4.0", "1.4.1", "1.5.1", "1.7.0")
    assert framework_versions(EIFramework.PYTORCH) == ("1.3.1", "1.5.1")
    assert json.loads(CATALOG.read_text())["source"].startswith("sagemaker-core 2.27.0")
