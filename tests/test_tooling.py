"""The two set-up commands: `make run` and `make test` exist, and `make run` explains a
missing Redis instead of hanging or printing a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from scripts.run_dev import redis_ping
from tests.support import ROOT, free_port, start_redis


def test_redis_ping_answers_for_a_live_server_only(proc_logs):
    proc, url = start_redis(proc_logs)
    try:
        assert redis_ping(url)
    finally:
        proc.stop()
    assert not redis_ping(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)


def test_makefile_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z]+):", makefile, flags=re.MULTILINE))
    assert {"run", "test", "bench", "faults", "lint"} <= targets
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_make_run_explains_a_missing_redis(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {
        "PATH": str(bin_dir),  # no redis-server here
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    result = subprocess.run(
        [sys.executable, "scripts/run_dev.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode != 0
    assert "apt-get install redis-server" in result.stderr
    assert "brew install redis" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
