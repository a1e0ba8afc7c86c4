"""`npx cdk ...` in the repository works as it is after `make setup`: no activated venv, no PATH set."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.assembly import read_stacks

pytestmark = pytest.mark.cli


def test_plain_npx_cdk_synth_runs_the_projects_interpreter_and_node_24(tmp_path: Path) -> None:
    npx = shutil.which("npx", path="/usr/local/bin:/usr/bin:/bin")
    if npx is None:
        pytest.skip("no system npx on this machine")
    # A fresh shell: only the system's PATH, whose python3 has no aws_cdk and whose node is the machine's.
    env = {"HOME": os.environ.get("HOME", "/root"), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    result = subprocess.run(
        [npx, "cdk", "synth", "--quiet", "-c", "env=dev", "-o", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ModuleNotFoundError" not in result.stderr
    assert "end-of-life" not in result.stderr  # jsii ran on the venv's Node 24, not the machine's
    assert [s.name for s in read_stacks(tmp_path)] == ["SageMakerEI-dev"]


def test_the_cli_shim_and_launcher_are_what_make_setup_installs() -> None:
    assert (ROOT / "node_modules" / ".bin" / "cdk").read_text() == (ROOT / "scripts" / "cdk-cli").read_text()
    assert '"app": "sh scripts/cdk-app"' in (ROOT / "cdk.json").read_text()
