"""Every state change of a generation (see ``lifecycle`` for the rules they all follow)."""

from generations.services.lifecycle import (
    Next,
    build_request,
    generation_cancel,
    generation_create,
    generation_rerun,
    generation_submit,
    generation_sweep,
    get_client,
)
from generations.services.limits import LimitExceeded
from generations.services.results import generation_refresh
from generations.services.timing import poll_delay

__all__ = [
    "LimitExceeded",
    "Next",
    "build_request",
    "generation_cancel",
    "generation_create",
    "generation_refresh",
    "generation_rerun",
    "generation_submit",
    "generation_sweep",
    "get_client",
    "poll_delay",
]
