"""The local AWS the project deploys to by default: moto server on loopback, started and stopped here.

moto holds every account: each environment deploys into its own, as configured (dev into the
default one, 123456789012, the account of the dummy credentials). It does not run models:
invoke_endpoint returns responses queued through moto's own API.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlparse

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = ROOT / ".emulator.json"  # where a kept emulator (KEEP=1) is recorded for the next run
LOCK_FILE = ROOT / ".emulator.lock"  # held by the one `make deploy` that may start or keep an emulator here
SERVER_MODULE = "tools.emulator_server"


class EmulatorError(Exception):
    """A one-line message that says what to do."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def command_line(pid: int) -> list[str] | None:
    """The process's argv, or None when there is no such process (Linux /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")[:-1] or None


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` itself holds the listening TCP socket of ``port`` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(descriptor) in inodes:
                return True
        except OSError:
            continue
    return False


@contextlib.contextmanager
def exclusive_run(lock_file: Path = LOCK_FILE) -> Iterator[None]:
    """Only one `make deploy` at a time may start or keep an emulator for this folder: a second one
    refuses instead of starting another emulator and orphaning one of the two."""
    with open(lock_file, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise EmulatorError(
                f"another `make deploy` (pid {holder}) is using this folder's emulator; wait for it to finish"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


def require_loopback(url: str) -> str:
    """``url`` itself, if it points at this machine; nothing here may reach another address."""
    host = urlparse(url).hostname or ""
    if host != "localhost" and not host.startswith("127."):
        raise ValueError(f"emulator url: only localhost or 127.x addresses are allowed, got {url!r}")
    return url


@dataclass(frozen=True)
class EmulatorEndpoint:
    """How clients reach a running emulator."""

    url: str

    def client_environment(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """Variables that point the CDK CLI and boto3 at the emulator, with dummy credentials."""
        return {
            # moto takes the S3 bucket from the host name unless it contains "localhost".
            "AWS_ENDPOINT_URL": require_loopback(self.url),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "CDK_DISABLE_VERSION_CHECK": "true",
        }

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def queue_invoke_results(self, *, region: str, results: list[dict[str, str]], account: str = ACCOUNT) -> None:
        """Queue the responses the next invoke_endpoint calls in ``account``/``region`` return, in order."""
        body = json.dumps({"account_id": account, "region": region, "results": results}).encode()
        request = urllib.request.Request(
            f"{self.url}/moto-api/static/sagemaker/endpoint-results", data=body, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status not in (200, 201):
                raise RuntimeError(f"moto refused the queued results: HTTP {response.status}")


def account_credentials(account: str) -> dict[str, str]:
    """Credentials for ``account`` in the emulator, as the CDK CLI gets them there: from STS AssumeRole of
    a role in that account (moto ties the credentials to the role's account; the role need not exist)."""
    import boto3  # boto3 reads AWS_ENDPOINT_URL: this asks the emulator, never AWS

    if account == ACCOUNT:
        return {}
    role = f"arn:aws:iam::{account}:role/emulator-admin"
    credentials = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="emulator")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


class Emulator:
    """A moto server on a loopback port (a free one unless given), for a ``with`` block or until ``stop``."""

    def __init__(self, *, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = EmulatorEndpoint(f"http://localhost:{self.port}")
        self.log_path = log_path
        self.command = [sys.executable, "-m", SERVER_MODULE, "-H", "127.0.0.1", "-p", str(self.port)]
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_seconds: float = 30) -> EmulatorEndpoint:
        if not port_is_free(self.port):
            raise EmulatorError(f"port {self.port} is taken by another process; choose another or leave it unset")
        self._log = open(self.log_path, "wb") if self.log_path else None  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_seconds
        # Ready means: our own process holds the port and answers on it, not merely "something answers".
        while not (listens_on(self.process.pid, self.port) and self.endpoint.answers()):
            if self.process.poll() is not None:
                self.stop()
                if not port_is_free(self.port):
                    raise EmulatorError(f"port {self.port} was taken by another process while the emulator started")
                raise EmulatorError(f"moto server exited with {self.process.returncode} before answering")
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(f"moto server did not answer on {self.endpoint.url} within {timeout_seconds} s")
            time.sleep(0.1)
        return self.endpoint

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def keep_running(self, state_file: Path = STATE_FILE) -> None:
        """Leave the server running after this process ends, recorded (pid, command line, port) for the next run."""
        if self.process is not None:
            state = {"url": self.endpoint.url, "port": self.port, "pid": self.process.pid, "command": self.command}
            state_file.write_text(json.dumps(state))
            self.process = None

    def __enter__(self) -> EmulatorEndpoint:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def why_not_ours(state: dict[str, Any]) -> str | None:
    """None when the recorded process is the emulator we started: same pid, same command line, and it
    holds the recorded port; else the reason it is not."""
    pid, port, command = int(state.get("pid", 0)), int(state.get("port", 0)), state.get("command")
    running = command_line(pid)
    if running is None:
        return f"process {pid} is not running"
    if running != command or SERVER_MODULE not in running:
        return f"process {pid} is not the emulator this project started (it runs {' '.join(running)[:120]!r})"
    if not listens_on(pid, port):
        return f"process {pid} does not hold port {port}"
    return None


def read_state(state_file: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return None
    return state


def kept_emulator(state_file: Path = STATE_FILE) -> EmulatorEndpoint | None:
    """The emulator a previous ``make deploy KEEP=1`` left running, if it is provably that process."""
    state = read_state(state_file)
    if state is None:
        return None
    reason = why_not_ours(state)
    if reason is not None:
        print(f"{state_file.name}: forgetting the kept emulator: {reason}", file=sys.stderr)
        state_file.unlink(missing_ok=True)
        return None
    endpoint = EmulatorEndpoint(require_loopback(state["url"]))
    return endpoint if endpoint.answers() else None


def stop_kept_emulator(state_file: Path = STATE_FILE) -> str:
    """Stop the kept emulator if it is provably ours; say what was done."""
    state = read_state(state_file)
    if state is None:
        return "no kept emulator is running"
    reason = why_not_ours(state)
    state_file.unlink(missing_ok=True)
    if reason is not None:
        return f"nothing stopped: {reason}; forgot {state_file.name}"
    pid = int(state["pid"])
    os.killpg(pid, signal.SIGTERM)  # its own session and process group (start_new_session)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if command_line(pid) is None:
            return f"emulator stopped (pid {pid}, port {state['port']})"
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return f"emulator killed after 15 s (pid {pid}, port {state['port']})"
