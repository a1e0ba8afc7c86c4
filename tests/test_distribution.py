"""Distribution hygiene: licence, changelog, metadata of the construct's wheel, and the pre-commit hooks."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # pyyaml, which pre-commit needs; no stubs installed

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "constructs" / "pyproject.toml").read_text())


def test_the_licence_is_the_apache_2_text_the_package_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert (ROOT / "constructs" / "LICENSE").read_text() == text  # the copy the wheel ships


def test_the_changelog_names_the_packaged_version_as_its_newest_release() -> None:
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases, "no release heading like '## [0.1.0] - 2026-11-30'"
    assert releases[0] == PYPROJECT["project"]["version"]


def test_the_wheel_carries_licence_version_and_dependency_floors(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT / "constructs"),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("sagemaker_ei_endpoint-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert f"Version: {PYPROJECT['project']['version']}" in metadata
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    floors = dict(re.findall(r"^Requires-Dist: ([a-z-]+)<[^,]+,>=(\S+)$", metadata, re.M))
    assert floors == {"aws-cdk-lib": "2.275.0", "constructs": "10.5.0"}  # why 2.275.0: constructs/pyproject.toml
    assert "sagemaker_ei_endpoint/py.typed" in names


HOOK_COMMANDS = {
    "ruff-check": ".venv/bin/ruff check",
    "ruff-format": ".venv/bin/ruff format --check",
    "mypy": ".venv/bin/mypy",
    "image-catalog": ".venv/bin/python scripts/generate_image_catalog.py --check",
    "api-constraints": ".venv/bin/python scripts/generate_api_constraints.py --check",
}


def test_pre_commit_runs_ruff_mypy_and_the_generated_data_checks() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {hook_id: hooks[hook_id]["entry"].removesuffix(" --force-exclude") for hook_id in HOOK_COMMANDS} == (
        HOOK_COMMANDS
    )
    pre_commit = Path(sys.executable).parent / "pre-commit"
    subprocess.run([str(pre_commit), "validate-config", ".pre-commit-config.yaml"], cwd=ROOT, check=True)


@pytest.mark.parametrize("hook", ["ruff-check", "ruff-format", "api-constraints"])
def test_pre_commit_hooks_pass_on_the_tree(hook: str, tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    result = subprocess.run(
        [str(pre_commit), "run", hook, "--all-files"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "PRE_COMMIT_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
