"""Running ``generations.mediaprobe`` on an untrusted file, in a child process.

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
# The largest file the child may write: a converted image or WAV is refused above the
# provider's caps anyway (30 MB and 15 MB), so this only stops a runaway encoder.
OUTPUT_CAP_MB = 64
CHILD_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    # glibc makes one 64 MB arena per thread; a few keep the address space small.
    "MALLOC_ARENA_MAX": "2",
    "OMP_NUM_THREADS": "1",
}


class SandboxError(Exception):
    """The child could not give an answer: ``reason`` is ``timeout``, ``memory`` or
    ``crashed`` (killed by a signal, or no readable answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run(job: dict[str, Any], *, timeout: float, memory_mb: int) -> dict[str, Any]:
    """The child's answer to ``job`` (see ``generations.mediaprobe``)."""
    command = [
        sys.executable,
        "-E",  # no PYTHON* variables from the web process's environment
        "-s",  # no user site-packages
        "-m",
        "generations.mediaprobe",
        str(memory_mb),
        str(max(1, math.ceil(timeout))),
        str(OUTPUT_CAP_MB),
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
    if answer.get("memory"):
        raise SandboxError("memory")
    return answer
