"""What the campaign tests share: a valid batch form's data and a way to submit it."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse

ROWS = (
    "hook,product\nWait for it,red sneakers\nStop scrolling,a steel watch\nNew drop,blue jacket\n"
)
TEMPLATE = "{{hook}}: a product shot of {{product}}, slow camera move"


def batch_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Spring hooks",
        "template": TEMPLATE,
        "rows_text": ROWS,
        "formats": ["9:16", "1:1"],
        "tiers": ["seedance2.0-480p"],
        "duration": "5",
        "seed": "",
        "token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def preview(client, data: dict[str, Any]):
    return client.post(reverse("campaigns:preview"), data)


def submit(client, data: dict[str, Any]):
    """Preview, then Generate with the preview's fingerprint, as the page does."""
    shown = preview(client, data)
    assert shown.status_code == 200
    form = shown.context["form"]
    assert form.plan is not None, form.errors
    return client.post(reverse("campaigns:create"), {**data, "digest": form.data["digest"]})
