from __future__ import annotations

from django.apps import AppConfig


class StudioConfig(AppConfig):
    """The project package as an app, so its system checks register at start."""

    name = "studio"

    def ready(self) -> None:
        from studio import checks  # noqa: F401 - registers the checks
