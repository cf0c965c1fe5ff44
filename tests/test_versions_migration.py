"""Version stacks arrive by migration: every existing clip becomes v1 of a stack named by
its own id (not one stack shared by all, which a column default would have given)."""

from __future__ import annotations

import pytest

from tests.billing_support import make_team
from tests.test_migrations import latest, migrate

BEFORE = [("generations", "0011_review_status")]


@pytest.mark.django_db(transaction=True)
def test_existing_clips_become_v1_of_stacks_of_their_own():
    team = make_team()
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    try:
        model = old.get_model("generations", "Generation")
        made = [
            model.objects.create(
                workspace_id=team.workspace.pk,
                project_id=team.client.pk,
                model="seedance2.0-480p",
                prompt=f"old {i}",
                duration=5,
                aspect_ratio="16:9",
                seed=i,
            ).pk
            for i in range(3)
        ]
    finally:
        migrate(latest())
    from generations.models import Generation

    rows = Generation.objects.filter(pk__in=made).values_list("pk", "stack", "version")
    assert sorted(rows) == sorted((pk, pk, 1) for pk in made)
