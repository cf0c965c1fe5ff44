"""The two bodies an endpoint can ask for: the Standard Webhooks JSON envelope, or a
Slack-compatible one (``text`` plus a ``blocks`` section) that a Slack incoming webhook,
and the chat tools that copy its format, post as a message."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from webhooks.models import EVENTS, TEST_EVENT, Format

LABELS = {**EVENTS, TEST_EVENT: "Test event from Seedance Studio"}
# What a chat message names the subject by, first found wins.
TITLE_KEYS = ("title", "prompt", "comment")


def body(*, fmt: str, event: str, data: dict[str, Any], at: datetime) -> str:
    if fmt == Format.SLACK:
        return json.dumps(slack(event=event, data=data), separators=(",", ":"))
    envelope = {"type": event, "timestamp": at.isoformat(), "data": data}
    return json.dumps(envelope, separators=(",", ":"), default=str)


def slack(*, event: str, data: dict[str, Any]) -> dict[str, Any]:
    label = LABELS.get(event, event)
    title = next((str(data[key]) for key in TITLE_KEYS if data.get(key)), "")
    text = f"{label}: {_escape(title[:200])}" if title else label
    url = data.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        text += f" <{_escape(url)}|Open in the studio>"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def _escape(value: str) -> str:
    """Slack reads ``<...>`` as links and mentions: a prompt must stay plain text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
