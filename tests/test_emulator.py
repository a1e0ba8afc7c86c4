"""The emulator's processes: only what it provably started is stopped or reused, and none is orphaned."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools import emulator
from tools.emulator import Emulator, EmulatorError

pytestmark = pytest.mark.e2e


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "emulator.json"


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """A process that is not the emulator, listening on a loopback port."""
    script = (
        "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
        "print(s.getsockname()[1], flush=True); time.sleep(120)"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def port_of(process: subprocess.Popen[bytes]) -> int:
    assert process.stdout is not None
    return int(process.stdout.readline())


def test_stop_refuses_a_process_it_did_not_start(state_file: Path, stranger: subprocess.Popen[bytes]) -> None:
    port = port_of(stranger)
    command = [sys.executable, "-m", "tools.emulator_server", "-H", "127.0.0.1", "-p", str(port)]
    state_file.write_text(
        json.dumps({"url": f"http://localhost:{port}", "port": port, "pid": stranger.pid, "command": command})
    )
    message = emulator.stop_kept_emulator(state_file)
    assert message.startswith(f"nothing stopped: process {stranger.pid} is not the emulator this project started")
    assert stranger.poll() is None  # still running
    assert not state_file.exists()


def test_a_kept_emulator_is_reused_and_stopped_only_when_it_is_ours(state_file: Path) -> None:
    server = Emulator()
    endpoint = server.start()
    process = server.process
    assert process is not None
    server.keep_running(state_file)
    try:
        assert emulator.kept_emulator(state_file) == endpoint
        # the same pid with another port recorded is not ours: an emulator on another port is not taken for it
        forged = json.loads(state_file.read_text()) | {"port": emulator.free_port()}
        other = state_file.with_name("other.json")
        other.write_text(json.dumps(forged))
        assert emulator.kept_emulator(other) is None
        assert not other.exists()  # forgotten
        other.write_text(json.dumps(forged))
        assert emulator.stop_kept_emulator(other).startswith(f"nothing stopped: process {process.pid} does not hold")
        assert process.poll() is None
        assert emulator.stop_kept_emulator(state_file) == f"emulator stopped (pid {process.pid}, port {server.port})"
        process.wait(timeout=5)
        assert emulator.port_is_free(server.port)
    finally:
        if process.poll() is None:
            process.kill()


def test_a_taken_port_is_a_one_line_error_naming_it(stranger: subprocess.Popen[bytes]) -> None:
    port = port_of(stranger)
    with pytest.raises(EmulatorError) as error:
        Emulator(port=port).start()
    assert str(error.value) == f"port {port} is taken by another process; choose another or leave it unset"


def test_make_deploy_with_a_taken_port_says_so_and_nothing_else(stranger: subprocess.Popen[bytes]) -> None:
    port = port_of(stranger)
    result = subprocess.run(
        [sys.executable, "-m", "tools.deploy", "deploy", "--port", str(port), "--env", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: port {port} is taken by another process; choose another or leave it unset"


def test_a_second_deploy_while_one_runs_refuses_instead_of_starting_another_emulator(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    with (
        emulator.exclusive_run(lock),
        pytest.raises(EmulatorError, match=r"another `make deploy` \(pid \d+\) is using"),
        emulator.exclusive_run(lock),
    ):
        pass
    with emulator.exclusive_run(lock):  # released again
        pass


def test_a_concurrent_keep_run_refuses(tmp_path: Path) -> None:
    with emulator.exclusive_run():
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "tools.deploy", "deploy", "--keep", "--env", "dev"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1
    assert "another `make deploy`" in result.stderr
    assert "is using this folder's emulator; wait for it to finish" in result.stderr
    assert time.monotonic() - started < 30  # refused at once, no emulator started
    assert not emulator.STATE_FILE.exists()
