"""Reviewers and viewers watch and download but never generate: the studio page offers
them no New video form, and a create they post anyway is refused with nothing made and
nothing sent upstream. The editor is the control that shows each check can fail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.models import Generation
from tests.matrix_world import build_world, client_for
from tests.test_generations_access import NEW_VIDEO


@pytest.mark.parametrize("role", ["reviewer", "viewer", "editor"])
@pytest.mark.parametrize("all_formats", [False, True], ids=["one", "all formats"])
def test_only_roles_that_generate_get_the_form_and_can_create(
    role, all_formats, db, local_media, no_broker, django_capture_on_commit_callbacks
):
    world = build_world()
    client = client_for(world, role)
    may = role == "editor"
    page = client.get(reverse("generations:gallery")).content.decode()
    assert ('id="generate"' in page) == may
    assert (f'action="{reverse("generations:create")}"' in page) == may
    before = Generation.objects.count()
    data = {**NEW_VIDEO, "project": world.project.pk}
    if all_formats:
        data["all_formats"] = "1"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("generations:create"), data, headers={"HX-Request": "true"})
    made = Generation.objects.count() - before
    assert response.status_code == (200 if may else 403)
    if may:
        assert made >= 1 and len(no_broker) == made
    else:
        assert made == 0 and no_broker == []
