"""``make run``: the whole studio on http://127.0.0.1:8000 for one person, nothing to configure.

Starts (or finds) Redis, migrates SQLite, creates the local account, then runs the web
server, a Celery worker, the exports worker (its own queue), Celery beat and the simulator
as children, each line of their output prefixed with its name. Ctrl-C stops them all.
Standard library only, so it works before anything but the virtualenv exists.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
COLORS = {"web": 32, "worker": 35, "exporter": 34, "beat": 36, "simulator": 33, "redis": 31}


def redis_ping(url: str, timeout: float = 1.0) -> bool:
    """True when a Redis server answers PING at ``url``."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout
        ) as conn:
            conn.settimeout(timeout)
            if parts.password:
                user = parts.username or "default"
                conn.sendall(f"AUTH {user} {parts.password}\r\n".encode())
                conn.recv(64)
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def fail(message: str) -> None:
    print(f"\n{message}\n", file=sys.stderr)
    sys.exit(1)


def ensure_redis(url: str) -> subprocess.Popen | None:
    """Use the Redis at ``url``; start a local one if it is ours to start."""
    if redis_ping(url):
        return None
    parts = urlsplit(url)
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        fail(f"No Redis answers at {url}. Start it, or point REDIS_URL at one that runs.")
    server = shutil.which("redis-server")
    if server is None:
        fail(
            "Seedance Studio needs Redis, and none answers at "
            f"{url}.\nInstall it and run `make run` again:\n"
            "  Debian/Ubuntu:  sudo apt-get install redis-server\n"
            "  macOS:          brew install redis"
        )
    port = str(parts.port or 6379)
    proc = subprocess.Popen(
        [server, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if redis_ping(url):
            print(f"Started a local redis-server on port {port}.")
            return proc
        time.sleep(0.1)
    proc.terminate()
    fail(f"redis-server did not start on port {port}; is the port taken?")
    return None


def pump(name: str, stream, lock: threading.Lock) -> None:
    color = COLORS.get(name, 37)
    prefix = f"\033[{color}m{name:>9} |\033[0m " if sys.stdout.isatty() else f"{name:>9} | "
    for line in iter(stream.readline, b""):
        with lock:
            sys.stdout.write(prefix + line.decode(errors="replace"))
            sys.stdout.flush()


def main() -> None:
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("SIMULATOR_SPEED", "10")
    # The simulator runs 10× faster than the provider; poll it often enough to feel live.
    env.setdefault("SEEDANCE_POLL_MAX_SECONDS", "2")
    env.setdefault("PYTHONUNBUFFERED", "1")
    redis_url = env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_proc = ensure_redis(redis_url)
    for port, what in ((8000, "the web server"), (8001, "the simulator")):
        if not port_free(port):
            stop_all([redis_proc] if redis_proc else [])
            fail(
                f"Port {port} is in use, so {what} cannot start. Stop whatever uses it "
                "(an earlier `make run`?) and try again."
            )
    (ROOT / ".run").mkdir(exist_ok=True)
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "ensure_local_user"], cwd=ROOT, env=env, check=True)
    commands = {
        "simulator": [PY, "-m", "simulator", "--host", "127.0.0.1", "--port", "8001"],
        "web": [*manage, "runserver", "127.0.0.1:8000", "--noreload"],
        "worker": [
            PY,
            "-m",
            "celery",
            "-A",
            "studio",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
        ],
        # Finishing renders, one at a time, on their own queue (the Procfile's exporter).
        "exporter": [
            PY,
            "-m",
            "celery",
            "-A",
            "studio",
            "worker",
            "-Q",
            "exports",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--hostname",
            "exporter@%h",
        ],
        "beat": [
            PY,
            "-m",
            "celery",
            "-A",
            "studio",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(ROOT / ".run" / "celerybeat-schedule"),
        ],
    }
    lock = threading.Lock()
    children: dict[str, subprocess.Popen] = {}
    for name, args in commands.items():
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        children[name] = proc
        threading.Thread(target=pump, args=(name, proc.stdout, lock), daemon=True).start()
    print(
        "\nSeedance Studio is running at http://127.0.0.1:8000 — log in with the account "
        "shown above. Ctrl-C to stop.\n",
        flush=True,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    exit_code = 0
    try:
        while not stopping.is_set():
            dead = [name for name, proc in children.items() if proc.poll() is not None]
            if dead:
                print(f"\n{', '.join(dead)} stopped unexpectedly; shutting down.", flush=True)
                exit_code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all([*children.values(), *([redis_proc] if redis_proc else [])])
    sys.exit(exit_code)


def stop_all(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
