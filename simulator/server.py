"""The HTTP side of the simulator: the seed's endpoints, result files, fault switches and
counters, on the standard library's threading HTTP server."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import string
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from simulator import render
from simulator.config import Config
from simulator.rules import MODELS, Invalid, Spec, validate
from simulator.state import State, Task
from studiolib.sizes import completion_tokens

# Realistic run times at speed 1 (api-notes.md: ~30 s to 5 min): base + per output second.
RUN_TIME = {480: (30, 3), 720: (40, 6), 1080: (60, 12), 2160: (90, 14)}
MAX_BODY = 10 * 1024 * 1024


POLL_REFUSALS = (
    ("poll_401", 401, "AuthenticationError", "the API key is invalid or was revoked"),
    ("poll_403", 403, "AccessDenied", "the account may not access this resource"),
    ("poll_404", 404, "ResourceNotFound", "The specified task is not found."),
    ("poll_429_quota", 429, "QuotaExceeded", "the account's quota is exhausted"),
)


def _task_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "task_" + "".join(secrets.choice(alphabet) for _ in range(24))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: on a kept-alive connection, Nagle's
    # algorithm would hold the body until the client's delayed ACK (40 ms later). Real
    # servers set TCP_NODELAY too.
    disable_nagle_algorithm = True
    server: SimulatorServer

    @property
    def state(self) -> State:
        return self.server.state

    def setup(self) -> None:
        super().setup()
        with self.state.lock:  # what shows whether clients keep their connections open
            self.state.stats["connections_total"] += 1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.state.config.log:
            sys.stderr.write(f"simulator {self.address_string()} {format % args}\n")

    # -- helpers ---------------------------------------------------------------------
    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        style = self.state.config.error_style
        if style == "gateway":
            body: dict[str, Any] = {"code": code, "message": message, "data": None}
        elif style == "ark":
            body = {
                "error": {
                    "code": code,
                    "message": f"{message} Request id: sim",
                    "param": param or "",
                    "type": "BadRequest",
                }
            }
        else:
            body = {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "code": code,
                    "param": param,
                }
            }
        self._send(status, body, headers)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        expected = self.state.config.api_key
        if not token or (expected and not secrets.compare_digest(token, expected)):
            self._error(401, "AuthenticationError", "invalid or missing API key")
            return False
        return True

    def _loopback_only(self) -> bool:
        if self.client_address[0] not in {"127.0.0.1", "::1"}:
            self._error(403, "forbidden", "control endpoints answer only on loopback")
            return False
        return True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise Invalid("body", "request body too large", "request_too_large")
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise Invalid("body", "the body is not valid JSON", "invalid_json") from None

    # -- routes ------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        if path in {"/v1/video/generations", "/v1/videos/generations"}:
            return self._create()
        if path == "/_sim/reset" and self._loopback_only():
            with self.state.lock:
                self.state.tasks.clear()
                self.state.by_token.clear()
                self.state.reset_stats()
            return self._send(200, {"ok": True})
        if path == "/_sim/faults" and self._loopback_only():
            try:
                faults = self._body()
            except Invalid as exc:
                return self._error(400, exc.code, exc.message)
            self.state.set_faults(dict(faults or {}))
            return self._send(200, self.state.faults)
        if not path.startswith("/_sim/"):
            self._error(404, "not_found", "no such endpoint")

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path.startswith("/v1/videos/"):
            return self._poll(path.rsplit("/", 1)[-1])
        if path.startswith("/files/") and self.state.cdn_url:
            return self._redirect_to_cdn(path)
        if path.startswith("/files/"):
            return self._file(path)
        if path == "/_sim/stats" and self._loopback_only():
            with self.state.lock:
                stats = json.loads(json.dumps(self.state.stats))
                tasks = self.state.tasks.values()
                now = time.time()
                stats["tasks"] = {t.id: self.state.report(t, now).phase for t in tasks}
                # When each task finishes (or finished) upstream, in epoch seconds.
                stats["done_at"] = {t.id: t.created + self.state.finishes_after(t) for t in tasks}
            return self._send(200, stats)
        if path == "/_sim/faults" and self._loopback_only():
            return self._send(200, self.state.faults)
        if not path.startswith("/_sim/"):
            self._error(404, "not_found", "no such endpoint")

    def _create(self) -> None:
        if not self._authorized():
            return
        state = self.state
        try:
            body = self._body()
        except Invalid as exc:
            return self._error(
                413 if exc.code == "request_too_large" else 400, exc.code, exc.message, exc.param
            )
        prompt = body.get("prompt") if isinstance(body, dict) else None
        key = prompt if isinstance(prompt, str) else ""
        with state.lock:
            state.stats["creates_total"] += 1
            state.stats["creates_by_prompt"][key] = state.stats["creates_by_prompt"].get(key, 0) + 1
        if state.roll("create_429"):
            retry = str(int(state.faults.get("retry_after", 2)))
            return self._error(
                429,
                "RateLimitExceeded.EndpointRPM",
                "rate limit exceeded",
                headers={"Retry-After": retry},
            )
        for status in (500, 502, 503):
            if state.roll(f"create_{status}"):
                return self._error(status, "InternalServiceError", "upstream error")
        try:
            spec = validate(body, state.config.output_sizes)
            if "[[reject-input]]" in spec.prompt:
                raise Invalid(
                    "prompt",
                    "The prompt may contain sensitive content.",
                    "InputTextSensitiveContentDetected",
                )
            task = self._accept(spec)
        except Invalid as exc:
            return self._error(400, exc.code, exc.message, exc.param)
        if state.roll("create_slow"):
            time.sleep(float(state.faults.get("slow_seconds", 20)))
        if state.roll("create_drop"):
            self.close_connection = True
            self.connection.close()
            return None
        if state.roll("create_malformed"):
            return self._send(200, b'{"id": "' + task.id.encode() + b'", "status": ')
        return self._send(
            200,
            {
                "id": task.id,
                "task_id": task.id,
                "object": "video.generation.job",
                "model": spec.model,
                "status": "queued",
                "progress": 0,
                "created_at": int(task.created),
            },
        )

    def _accept(self, spec: Spec) -> Task:
        state = self.state
        task_id = _task_id()
        folder = state.config.data_dir / task_id
        inputs = render.fetch_inputs(spec, folder / "inputs")
        base, per_second = RUN_TIME[MODELS[spec.model]]
        seed = spec.seed if spec.seed is not None else secrets.randbelow(2**32)
        task = Task(
            id=task_id,
            spec=spec,
            seed=seed,
            created=time.time(),
            run_seconds=base + per_second * spec.duration,
            token=secrets.token_urlsafe(24),
            folder=folder,
        )
        if "[[moderate-audio]]" in spec.prompt or state.roll("task_moderate_audio"):
            task.outcome = "moderate_audio"
        elif "[[moderate]]" in spec.prompt or state.roll("task_moderate"):
            task.outcome = "moderate"
        elif "[[fail]]" in spec.prompt or state.roll("task_fail"):
            task.outcome = "fail"
        elif "[[expire]]" in spec.prompt or state.roll("task_expire"):
            task.outcome = "expire"
        task.expire_early = state.roll("result_expire_early")
        task.redirect = state.roll("result_redirect")
        task.withhold_url = state.roll("completed_without_url")
        task.last_frame_fails = state.roll("last_frame_fail")
        if not state.roll("usage_missing"):
            # Billed on what is rendered plus any input video (docs/provider.md, "Billing").
            input_seconds = sum(render.probe_seconds(path) for path in inputs.videos)
            task.usage_tokens = completion_tokens(
                spec.width, spec.height, spec.duration + input_seconds
            )
        with state.lock:
            state.tasks[task_id] = task
            state.by_token[task.token] = task
            state.stats["accepted_total"] += 1
            by_prompt = state.stats["accepted_by_prompt"]
            by_prompt[spec.prompt] = by_prompt.get(spec.prompt, 0) + 1
        state.pool.submit(self._render, state, task, inputs, folder)
        return task

    @staticmethod
    def _render(state: State, task: Task, inputs: render.Inputs, folder: Path) -> None:
        try:
            if state.config.stock:
                task.video, task.last_frame = state.stock_clip(task.spec)
            else:
                task.video, task.last_frame = render.render(task.spec, inputs, task.seed, folder)
        except Exception as exc:  # the task fails; the server goes on
            task.render_error = repr(exc)[:500]
            sys.stderr.write(f"simulator: render of {task.id} failed: {task.render_error}\n")
        finally:
            shutil.rmtree(folder / "inputs", ignore_errors=True)
            task.rendered_at = time.time()
            task.rendered.set()

    def _poll(self, task_id: str) -> None:
        if not self._authorized():
            return
        state = self.state
        now = time.time()
        state.purge(now)
        with state.lock:
            state.stats["polls_total"] += 1
            state.stats["polls_by_task"][task_id] = state.stats["polls_by_task"].get(task_id, 0) + 1
            task = state.tasks.get(task_id)
        if state.roll("poll_429"):
            return self._error(
                429,
                "RateLimitExceeded",
                "rate limit exceeded",
                headers={"Retry-After": str(int(state.faults.get("retry_after", 2)))},
            )
        for status in (500, 503):
            if state.roll(f"poll_{status}"):
                return self._error(status, "InternalServiceError", "upstream error")
        # Refusals of the query itself, which say nothing about the task (docs/provider.md,
        # "Refused polls"): a rotated or revoked key, a missing resource, a spent quota.
        for fault, status, code, message in POLL_REFUSALS:
            if state.roll(fault):
                return self._error(status, code, message)
        if task is None or state.not_visible_yet(task, now):
            return self._unknown_task(task_id)
        if state.roll("poll_slow"):
            time.sleep(float(state.faults.get("slow_seconds", 20)))
        if state.roll("poll_malformed"):
            return self._send(200, b"<html>502 Bad Gateway</html>")
        self._send(200, state.body(task, time.time()))

    def _unknown_task(self, task_id: str) -> None:
        if self.state.dialect == "gateway":
            return self._error(400, "task_not_exist", f"task {task_id} does not exist")
        return self._error(404, "ResourceNotFound", "The specified task is not found.")

    def _redirect_to_cdn(self, path: str) -> None:
        with self.state.lock:
            self.state.stats["redirects_total"] += 1
        self.send_response(302)
        self.send_header("Location", self.state.cdn_url + path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _file(self, path: str) -> None:
        parts = path.strip("/").split("/")
        state = self.state
        task = state.by_token.get(parts[1]) if len(parts) == 3 else None
        target = None
        fresh = task and task.completed_at is not None and not task.expire_early
        if fresh and time.time() - task.completed_at <= state.config.result_ttl:
            target = {"video.mp4": task.video, "last_frame.png": task.last_frame}.get(parts[2])
        if target is None or not target.exists():
            return self._error(404, "not_found", "the file does not exist or has expired")
        if target == task.last_frame and task.last_frame_fails:
            return self._error(403, "AccessDenied", "access to the object is denied")
        data = target.read_bytes()
        with state.lock:
            state.stats["downloads_total"] += 1
        content_type = "video/mp4" if target.suffix == ".mp4" else "image/png"
        if target.suffix == ".mp4" and state.roll("result_corrupt"):
            # A CDN serving a damaged copy: the MP4 header survives, the media data does not.
            data = data[:64] + bytes(len(data) - 64)
        # A proxy or CDN announcing more bytes than it sends, then closing.
        overstated = 1000 if state.roll("result_bad_length") else 0
        start, end = 0, len(data) - 1
        status = 200
        header = self.headers.get("Range", "")
        if header.startswith("bytes=") and "," not in header:
            first, _, last = header[6:].partition("-")
            if first.isdigit():
                start, end = int(first), min(int(last) if last.isdigit() else end, end)
                status = 206
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(end - start + 1 + overstated))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.end_headers()
        body = data[start : end + 1]
        if target.suffix == ".mp4" and state.roll("result_truncate"):
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)
        if overstated:
            self.close_connection = True


class CdnHandler(Handler):
    """The CDN host: result files only, nothing of the API."""

    def setup(self) -> None:
        BaseHTTPRequestHandler.setup(self)  # API connections are counted apart

    def do_GET(self) -> None:  # noqa: N802
        with self.state.lock:
            self.state.stats["cdn_requests_total"] += 1
        path = self.path.split("?")[0]
        if path.startswith("/files/"):
            return self._file(path)
        return self._error(404, "not_found", "no such file")

    def do_POST(self) -> None:  # noqa: N802
        self._error(404, "not_found", "no such endpoint")


class CdnServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, state: State) -> None:
        # Listen where a client resolving ``host`` will connect first (127.0.0.1 or ::1).
        family, _, _, _, address = socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)[0]
        self.address_family = family
        super().__init__(address, CdnHandler)
        self.state = state


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], config: Config) -> None:
        super().__init__(address, Handler)
        self.state = State(config)
        if not config.public_url:
            config.public_url = f"http://{address[0]}:{self.server_port}"
        self.cdn: CdnServer | None = None
        if config.cdn_host:
            self.cdn = CdnServer(config.cdn_host, self.state)
            host = f"[{config.cdn_host}]" if ":" in config.cdn_host else config.cdn_host
            self.state.cdn_url = f"http://{host}:{self.cdn.server_port}"
            threading.Thread(target=self.cdn.serve_forever, daemon=True).start()

    def shutdown(self) -> None:
        if self.cdn is not None:
            self.cdn.shutdown()
        super().shutdown()

    def server_close(self) -> None:
        if self.cdn is not None:
            self.cdn.server_close()
        super().server_close()


def make_server(host: str, port: int, config: Config) -> SimulatorServer:
    return SimulatorServer((host, port), config)
