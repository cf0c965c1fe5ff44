"""Every state change of a generation (see ``lifecycle`` for the rules they all follow)."""

from generations.services.library import TierUnavailable, generation_rerun
from generations.services.lifecycle import (
    Next,
    build_request,
    generation_create,
    generation_submit,
    get_client,
)
from generations.services.limits import LimitExceeded
from generations.services.results import generation_refresh
from generations.services.stopping import generation_cancel, generation_sweep
from generations.services.timing import poll_delay

__all__ = [
    "LimitExceeded",
    "Next",
    "TierUnavailable",
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
