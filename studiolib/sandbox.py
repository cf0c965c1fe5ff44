"""Running ``studiolib.mediaprobe`` on an untrusted file, in a child process.

The child gets a wall-clock timeout here (it is killed when it runs over) and caps its own
memory, CPU time and output size before it reads the file, so a file built to make a
decoder hang or eat memory costs one short-lived process, never the web worker. The child
starts from a minimal environment (no proxies, no secrets, one thread per library).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHILD_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    # glibc makes one 64 MB arena per thread; a few keep the address space small.
    "MALLOC_ARENA_MAX": "2",
    "OMP_NUM_THREADS": "1",
}


class SandboxError(Exception):
    """The child could not give an answer: ``reason`` is ``timeout``, ``memory``,
    ``too_big`` (its output passed ``max_output_bytes``) or ``crashed`` (killed by a
    signal, or no readable answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run(
    job: dict[str, Any], *, timeout: float, memory_mb: int, max_output_bytes: int
) -> dict[str, Any]:
    """The child's answer to ``job`` (see ``studiolib.mediaprobe``); the file it may
    write (a converted or re-encoded copy) stops growing at ``max_output_bytes``."""
    command = [
        sys.executable,
        "-E",  # no PYTHON* variables from the web process's environment
        "-s",  # no user site-packages
        "-m",
        "studiolib.mediaprobe",
        str(memory_mb),
        str(max(1, math.ceil(timeout))),
        str(max_output_bytes),
    ]
    try:
        finished = subprocess.run(
            command,
            input=json.dumps(job).encode(),
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
            env=CHILD_ENV,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SandboxError("timeout") from None  # run() has killed and reaped the child
    if finished.returncode < 0 and finished.returncode in {-9, -24}:  # SIGKILL, SIGXCPU
        raise SandboxError("timeout")
    try:
        answer = json.loads(finished.stdout)
    except ValueError:
        raise SandboxError("memory" if b"MemoryError" in finished.stderr else "crashed") from None
    for reason in ("memory", "too_big"):
        if answer.get(reason):
            raise SandboxError(reason)
    return answer
