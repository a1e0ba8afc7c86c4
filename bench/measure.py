"""Run one command as a fresh process tree and measure it.

Wall clock: from just before the process is started to when it has been reaped.

Memory, two figures, because jsii runs Node.js as a child of Python:
- ``tree_peak_mib``: the peak of the summed RSS of the process and all its descendants, sampled
  every ``SAMPLE_INTERVAL_S`` with psutil (``LONG_RUN_SAMPLE_INTERVAL_S`` for the test suite). This
  is what the machine must hold at once, and is the figure reported. Sampling can miss a peak shorter
  than the interval and RSS counts shared pages once per process, but Python and Node share almost
  nothing but libc.
- ``maxrss_mib``: ``ru_maxrss`` from ``wait4``: the largest peak of any single process of the tree
  (the kernel keeps the maximum, not the sum, of the reaped children). This is what
  ``/usr/bin/time -f %M`` prints; it is a lower bound, kept as a cross-check.

CPU: user + system seconds of the whole tree (every process in it is reaped, so ``wait4`` has them).
``background_cpu`` is the share of the machine's CPU that other processes used meanwhile: the
benchmark cannot stop other work on the machine, but it can say how much there was.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

SAMPLE_INTERVAL_S = 0.02
# For the test suite's minute-long runs. Each sample lists every process of the machine (psutil finds
# descendants through /proc), and at 20 ms that work, on a 2-core machine, slowed the unit tier it
# measured from 53-58 s to 64-66 s (two runs each way, bench.measure.run_measured on the same tier).
LONG_RUN_SAMPLE_INTERVAL_S = 0.5
MIB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float
    tree_peak_mib: float
    maxrss_mib: float
    background_cpu: float
    returncode: int
    result: dict[str, Any] | None


class TreeMemorySampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        super().__init__(name="tree-memory-sampler", daemon=True)
        self.root = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak_bytes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        known: dict[int, psutil.Process] = {}
        while not self._stop_event.is_set():
            try:
                current = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            # Reuse Process objects: psutil checks a reused pid against the creation time.
            known = {p.pid: known.get(p.pid, p) for p in current}
            total = 0
            for process in known.values():
                # A process may exit between listing and reading it.
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop_event.wait(self.interval_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _busy_cpu_s() -> float:
    times = psutil.cpu_times()
    return float(sum(times)) - times.idle - getattr(times, "iowait", 0.0)


def run_measured(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    result_file: Path | None = None,
    log_file: Path | None = None,
    sample_interval_s: float = SAMPLE_INTERVAL_S,
) -> Sample:
    """Run ``command`` to completion; stdout and stderr go to ``log_file`` (or are dropped)."""
    log = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    try:
        busy_before = _busy_cpu_s()
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
        sampler = TreeMemorySampler(process.pid, sample_interval_s)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        busy_after = _busy_cpu_s()
    finally:
        if not isinstance(log, int):
            log.close()
    cpu = usage.ru_utime + usage.ru_stime
    harness = (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime)
    other = max(0.0, (busy_after - busy_before) - cpu - harness)
    result = None
    if result_file is not None and result_file.exists():
        loaded: dict[str, Any] = json.loads(result_file.read_text())
        result = loaded
    return Sample(
        wall_s=wall,
        cpu_s=cpu,
        # At least the largest single process: a very short run can end between two samples.
        tree_peak_mib=max(sampler.peak_bytes / MIB, usage.ru_maxrss / 1024),
        maxrss_mib=usage.ru_maxrss / 1024,
        background_cpu=other / (wall * (os.cpu_count() or 1)),
        returncode=process.returncode,
        result=result,
    )
