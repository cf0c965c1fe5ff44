"""Operators' tool: run the sweeper now, list what is stuck, and optionally fail it.

python manage.py reconcile_generations                  # re-send overdue work, list stuck
python manage.py reconcile_generations --fail-after 30  # also fail what is 30+ min overdue
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from generations import services
from generations.models import UNFINISHED, Generation
from generations.services.lifecycle import fail
from studiolib import errors


class Command(BaseCommand):
    help = "Re-send overdue generation steps, list stuck generations, optionally fail them."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--fail-after",
            type=float,
            metavar="MINUTES",
            help="fail unfinished generations whose next step is this many minutes overdue",
        )

    def handle(self, *args: object, fail_after: float | None = None, **options: object) -> None:
        counts = services.generation_sweep()
        self.stdout.write(f"sweep: {counts}")
        overdue = timezone.now() - timedelta(minutes=2)
        stuck = Generation.objects.filter(status__in=UNFINISHED, next_poll_at__lt=overdue)
        for generation in stuck:
            self.stdout.write(
                f"stuck {generation.pk} status={generation.status} "
                f"task={generation.upstream_task_id or '-'} next={generation.next_poll_at:%H:%M:%S}"
            )
        if fail_after is None:
            return
        limit = timezone.now() - timedelta(minutes=fail_after)
        failed = 0
        for generation in stuck.filter(next_poll_at__lt=limit):
            # ``fail`` writes "not charged" only if the row was never sent when it is failed.
            reason = errors.stuck(sent=generation.status != "queued")
            failed += fail(generation.pk, (generation.status,), reason)
        self.stdout.write(f"failed {failed} stuck generation(s)")
