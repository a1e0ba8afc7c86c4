"""Reproducible installs: every environment is installed from a hash-locked file that matches its inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# input (what we ask for) -> lock (what gets installed), per environment
LOCKS = {
    "requirements.txt": "requirements.lock",
    "requirements-dev.txt": "requirements-dev.lock",
    "requirements-checkov.txt": "requirements-checkov.lock",
    "bench/requirements.txt": "bench/requirements.lock",
}
BENCH_ONLY = ("aws-cdk-aws-sagemaker-alpha", "matplotlib", "psutil")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-\[\]]*)==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw.split("[")[0]).lower()


def inputs(path: Path) -> dict[str, str]:
    """name -> version of every pin in an input file, following -r includes."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            pins |= inputs(path.parent / line.removeprefix("-r ").strip())
        elif match := _PIN.match(line):
            pins[_name(match[1])] = match[2]
    return pins


def locked(path: Path) -> dict[str, str]:
    """name -> version of every package of a lock file; fails on a package without a hash."""
    text = path.read_text()
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = _PIN.match(block.strip())
        if match:
            assert "--hash=sha256:" in block, f"{path.name}: {match[1]} has no hash"
            pins[_name(match[1])] = match[2]
    return pins


@pytest.mark.parametrize(("source", "lock"), LOCKS.items())
def test_every_requirement_is_locked_at_its_pinned_version_with_hashes(source: str, lock: str) -> None:
    wanted, got = inputs(ROOT / source), locked(ROOT / lock)
    assert wanted, source
    stale = {name: (version, got.get(name)) for name, version in wanted.items() if got.get(name) != version}
    assert stale == {}, f"{lock} is stale: run `make lock`"


def test_runtime_and_bench_locks_agree_with_the_dev_lock() -> None:
    dev = locked(ROOT / "requirements-dev.lock")
    for lock in ("requirements.lock", "bench/requirements.lock"):
        differ = {n: (v, dev[n]) for n, v in locked(ROOT / lock).items() if n in dev and dev[n] != v}
        assert differ == {}, lock


def test_bench_packages_stay_out_of_the_project_environment() -> None:
    dev, bench = locked(ROOT / "requirements-dev.lock"), locked(ROOT / "bench/requirements.lock")
    for name in BENCH_ONLY:
        assert name in bench
        assert name not in dev


def test_the_makefile_installs_locks_only_and_with_require_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "PIP_LOCKED := -m pip install --quiet --require-hashes --no-deps" in makefile
    installs = re.findall(r"python \$\((PIP_LOCKED|INSTALL_CONSTRUCT)\) (.*)", makefile)
    locked_files = {args.split("-r ")[1].strip() for kind, args in installs if kind == "PIP_LOCKED"}
    # $(1)/aws-cdk-lib.lock is aws-cdk-lib's own entry cut from one of these locks (scripts/lock_entry.py).
    assert locked_files == {*LOCKS.values(), "requirements-lock.txt", "$(1)/aws-cdk-lib.lock"} - {"requirements.lock"}
    assert "pip install --quiet -r" not in makefile  # nothing unlocked
    assert "constraints" not in makefile


def test_the_lock_tool_is_itself_hash_pinned() -> None:
    assert set(locked(ROOT / "requirements-lock.txt")) == {"uv"}
