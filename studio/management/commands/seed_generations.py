"""Seed many finished generations in one user's workspace, so gallery figures can be
reproduced; optionally as a team: ``--members`` people (the user included) and
``--projects`` projects, the clips spread over both and over the last ``--days`` days.

    python manage.py seed_generations --count 100000 --user bench --members 25 --projects 40

All rows share one small poster and video file (written once), so seeding 10,000 clips
takes seconds and little disk. The clips are entered in the spend ledger through
``billing.ledger.record_history`` (entries and daily sums, in bulk), so the usage report and
the budgets see the seeded month; the entries of one member, project and UTC day share the
time of that group's first clip (the report and the budgets count by day).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from billing import ledger
from billing.models import LedgerEntry
from generations.models import SHARED_FOREVER, Generation, Mode, Status
from sharing.models import ShareLink
from studiolib import tiers
from workspaces.models import Membership, Project, Role, Workspace
from workspaces.services import default_project, personal_workspace

WORDS = [
    "sunrise",
    "product",
    "glass",
    "bottle",
    "ocean",
    "city",
    "neon",
    "forest",
    "runner",
    "coffee",
    "sneaker",
    "drone",
    "portrait",
    "studio",
    "rain",
    "gold",
    "slow",
    "orbit",
    "macro",
    "launch",
    "teaser",
    "summer",
    "winter",
]


class Command(BaseCommand):
    help = "Create COUNT finished generations for USER (created if missing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--user", default="bench")
        parser.add_argument("--password", default="bench-password-123")
        parser.add_argument("--members", type=int, default=1)
        parser.add_argument("--projects", type=int, default=1)
        parser.add_argument("--days", type=float, default=0, help="spread over; 0: a minute apart")

    def handle(
        self,
        *args: object,
        count: int,
        user: str,
        password: str,
        members: int = 1,
        projects: int = 1,
        days: float = 0,
        **kw: object,
    ) -> None:
        owner, created = get_user_model().objects.get_or_create(username=user)
        if created:
            owner.set_password(password)
            owner.save()
        workspace = personal_workspace(owner)
        team = [owner, *self._teammates(workspace, user, members - 1)]
        places = [default_project(workspace)]
        for n in range(1, projects):
            place, _ = Project.objects.get_or_create(workspace=workspace, name=f"Client {n:02d}")
            places.append(place)
        step = timedelta(days=days) / count if days else timedelta(minutes=1)
        poster = default_storage.save("bench/poster.jpg", ContentFile(_tiny_jpeg()))
        rng = random.Random(42)
        now = timezone.now()
        models = [t.model for t in tiers.TIERS if t.enabled]
        rows = []
        for i in range(count):
            created_at = now - step * i
            rows.append(
                Generation(
                    user=team[i % len(team)],
                    workspace=workspace,
                    project=places[i % len(places)],
                    mode=rng.choice(list(Mode)),
                    model=rng.choice(models),
                    prompt=" ".join(rng.choice(WORDS) for _ in range(8)),
                    duration=rng.randint(5, 15),
                    aspect_ratio=rng.choice(["16:9", "9:16", "1:1"]),
                    seed=rng.randrange(2**32),
                    status=Status.SUCCEEDED,
                    starred=rng.random() < 0.1,
                    poster=poster,
                    video=poster,
                    created_at=created_at,
                    updated_at=created_at,
                    finished_at=created_at,
                    estimated_cost=0.5,
                )
            )
        made = Generation.objects.bulk_create(rows, batch_size=2000)
        self._ledger(workspace, made)
        shared = made[: max(1, count // 20)]
        ShareLink.objects.bulk_create([ShareLink(generation=g) for g in shared], batch_size=2000)
        Generation.objects.filter(pk__in=[g.pk for g in shared]).update(shared_until=SHARED_FOREVER)
        # Fresh planner statistics, as autovacuum would give a real table: without them
        # PostgreSQL plans the gallery query for a nearly empty table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"seeded {count} generations for {user}")

    def _ledger(self, workspace: Workspace, made: list[Generation]) -> None:
        groups: dict[tuple, list[Generation]] = defaultdict(list)
        for g in made:
            groups[(g.user_id, g.project_id, ledger.utc_day(g.created_at))].append(g)
        entries = []
        for (member_id, project_id, _), clips in groups.items():
            at = min(g.created_at for g in clips)
            entries += [
                LedgerEntry(
                    workspace_id=workspace.pk,
                    project_id=project_id,
                    member_id=member_id,
                    generation_id=g.pk,
                    model=g.model,
                    created_at=at,
                    estimated=Decimal(str(g.estimated_cost)),
                )
                for g in clips
            ]
        with transaction.atomic():
            # ``record_history`` may create daily rows: it runs with the workspace row locked.
            Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
            ledger.record_history(entries=entries)

    def _teammates(self, workspace: Workspace, user: str, count: int) -> list:
        people = []
        for n in range(count):
            mate, _ = get_user_model().objects.get_or_create(username=f"{user}-mate-{n:02d}")
            Membership.objects.get_or_create(
                workspace=workspace, user=mate, defaults={"role": Role.EDITOR}
            )
            people.append(mate)
        return people


def _tiny_jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 60, 90)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()
