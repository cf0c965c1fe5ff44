"""A real HTTP receiver for outgoing webhooks, in a thread: it answers from a script of
status codes (the last one repeats), and checks each request the way a receiving service
would, with the Standard Webhooks library's own ``Webhook.verify`` and the secret the
studio showed."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the parsed payload when the signature checked out
    error: str = ""
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    codes: list[int] = field(default_factory=lambda: [200])
    # Seconds to stall before answering, per request (the last one repeats).
    stalls: list[float] = field(default_factory=lambda: [0.0])
    redirect_to: str = ""  # answered with the code when it is a redirect
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        got = Received(handler.path, dict(handler.headers.items()), body)
        if self.secret:
            try:
                got.verified = Webhook(self.secret).verify(body, got.headers)
            except WebhookVerificationError as exc:
                got.error = str(exc)
        index = len(self.received)
        self.received.append(got)
        time.sleep(self.stalls[min(index, len(self.stalls) - 1)])
        code = self.codes[min(index, len(self.codes) - 1)]
        handler.send_response(code)
        if 300 <= code < 400 and self.redirect_to:
            handler.send_header("Location", self.redirect_to)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server name)
                receiver.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
