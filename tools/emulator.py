"""The local AWS the project deploys to by default: moto server on loopback, started and stopped here.

moto is one account (123456789012) that stands in for every environment's account. It does
not run models: invoke_endpoint returns responses queued through moto's own API.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlparse

ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
STATE_FILE = Path(".emulator.json")  # where a kept emulator (KEEP=1) is recorded for the next run


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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


class Emulator:
    """A moto server on a free loopback port, for the length of a ``with`` block or until ``stop``."""

    def __init__(self, *, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = EmulatorEndpoint(f"http://localhost:{self.port}")
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_seconds: float = 30) -> EmulatorEndpoint:
        self._log = open(self.log_path, "wb") if self.log_path else None  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.emulator_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_seconds
        while not self.endpoint.answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode} before answering")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not answer on {self.endpoint.url} within {timeout_seconds} s")
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

    def keep_running(self) -> None:
        """Leave the server running after this process ends, recorded for the next run."""
        if self.process is not None:
            STATE_FILE.write_text(json.dumps({"url": self.endpoint.url, "pid": self.process.pid}))
            self.process = None

    def __enter__(self) -> EmulatorEndpoint:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def kept_emulator() -> EmulatorEndpoint | None:
    """The emulator a previous ``make deploy KEEP=1`` left running, if it still answers."""
    if not STATE_FILE.exists():
        return None
    state: dict[str, Any] = json.loads(STATE_FILE.read_text())
    endpoint = EmulatorEndpoint(require_loopback(state["url"]))
    if endpoint.answers():
        return endpoint
    STATE_FILE.unlink()
    return None


def stop_kept_emulator() -> bool:
    if not STATE_FILE.exists():
        return False
    state = json.loads(STATE_FILE.read_text())
    STATE_FILE.unlink()
    pid = int(state["pid"])
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True
