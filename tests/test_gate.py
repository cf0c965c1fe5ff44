"""The gate: with "download and share approved clips only" on, every way a member or a
guest could take a file away (single download, bulk ZIP, a new share link, a public
link's download) refuses a clip that is not approved, in words and with 403; watching
(the member's player, an existing link's page and stream) stays open."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.models import Generation, ReviewStatus
from sharing.models import ShareLink
from sharing.tokens import token_for
from tests.billing_support import make_team
from tests.matrix_world import finished_clip
from workspaces import access
from workspaces.models import AuditEntry, Project

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_media")]

REFUSED = "allows downloading and sharing approved clips only"


@pytest.fixture
def team():
    team = make_team()
    Project.objects.filter(pk=team.client.pk).update(approved_only=True)
    return team


def clip(team, project=None, status=ReviewStatus.DRAFT) -> Generation:
    made = finished_clip(
        user=team.users["editor"],
        workspace=team.workspace,
        project=project or team.client,
        prompt="gated",
    )
    Generation.objects.filter(pk=made.pk).update(review_status=status)
    made.refresh_from_db()
    return made


def as_(client, team, role):
    """Signed in as the team's ``role``, with the team as the current workspace."""
    client.force_login(team.users[role])
    session = client.session
    session[access.SESSION_KEY] = str(team.workspace.pk)
    session.save()
    return client


def body(response) -> str:
    return (
        b"".join(response.streaming_content).decode("latin-1")
        if response.streaming
        else (response.content.decode())
    )


@pytest.mark.parametrize("kind", ["video", "last-frame", "poster"])
@pytest.mark.parametrize(
    ("status", "expected"),
    [(s, 200 if s == ReviewStatus.APPROVED else 403) for s in ReviewStatus.values],
)
def test_single_download_follows_the_gate(client, team, kind, status, expected):
    gated = clip(team, status=status)
    url = reverse("generations:file", args=[gated.pk, kind]) + "?download=1"
    response = as_(client, team, "viewer").get(url)
    assert response.status_code == expected
    if expected == 403:
        assert REFUSED in response.content.decode()
        assert "gated" not in response.get("Content-Disposition", "")


def test_watching_stays_open_and_an_ungated_project_is_untouched(client, team):
    gated = clip(team)
    free = clip(team, project=team.general)
    as_(client, team, "viewer")
    assert client.get(reverse("generations:file", args=[gated.pk, "video"])).status_code == 200
    url = reverse("generations:file", args=[free.pk, "video"]) + "?download=1"
    assert client.get(url).status_code == 200


def test_the_clip_page_hides_download_until_approved(client, team):
    gated = clip(team)
    as_(client, team, "editor")
    page = client.get(reverse("generations:detail", args=[gated.pk])).content.decode()
    assert "?download=1" not in page and 'id="gate-notice"' in page
    assert 'id="share-gated"' in page  # only a review link can be made
    Generation.objects.filter(pk=gated.pk).update(review_status=ReviewStatus.APPROVED)
    page = client.get(reverse("generations:detail", args=[gated.pk])).content.decode()
    assert "?download=1" in page and reverse("sharing:create", args=[gated.pk]) in page


def test_a_zip_with_any_unapproved_gated_clip_is_refused(client, team):
    approved = clip(team, status=ReviewStatus.APPROVED)
    in_review = clip(team, status=ReviewStatus.IN_REVIEW)
    free = clip(team, project=team.general)
    as_(client, team, "viewer")
    ids = [str(approved.pk), str(in_review.pk), str(free.pk)]
    refused = client.post(reverse("generations:bulk"), {"action": "download", "ids": ids})
    assert refused.status_code == 403
    assert "1 of the chosen videos are not approved" in refused.content.decode()
    ok = client.post(reverse("generations:bulk"), {"action": "download", "ids": ids[:1] + ids[2:]})
    assert ok.status_code == 200 and ok["Content-Type"] == "application/zip"
    assert body(ok).count(".mp4") >= 2  # both clips are in it


def test_share_create_is_refused_until_approved(client, team):
    gated = clip(team, status=ReviewStatus.CHANGES_REQUESTED)
    as_(client, team, "editor")
    url = reverse("sharing:create", args=[gated.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and REFUSED in response.content.decode()
    assert not ShareLink.objects.filter(generation=gated).exists()
    review_link = client.post(url, {"allow_comments": "1"})
    assert review_link.status_code == 302
    link = ShareLink.objects.get(generation=gated)
    assert link.allow_comments
    public = client.get(f"/s/{token_for(link)}/").content.decode()
    assert "?download=1" not in public  # a review link of a gated clip offers no download
    link.delete()
    Generation.objects.filter(pk=gated.pk).update(review_status=ReviewStatus.APPROVED)
    assert client.post(url).status_code == 302
    assert ShareLink.objects.filter(generation=gated).count() == 1


def test_an_existing_link_plays_but_its_download_follows_the_gate(client, team):
    gated = clip(team, project=team.general)
    link = ShareLink.objects.create(generation=gated)
    base = f"/s/{token_for(link)}/"
    assert 'video.mp4?download=1"' in client.get(base).content.decode()
    # The gate goes on after the link was made, and the clip is not approved.
    Project.objects.filter(pk=team.general.pk).update(approved_only=True)
    page = client.get(base)
    assert page.status_code == 200 and "?download=1" not in page.content.decode()
    assert client.get(base + "video.mp4").status_code == 200
    refused = client.get(base + "video.mp4?download=1")
    assert refused.status_code == 403
    assert "cannot be downloaded until it is approved" in refused.content.decode()
    assert refused["Cache-Control"] == "no-store"
    Generation.objects.filter(pk=gated.pk).update(review_status=ReviewStatus.APPROVED)
    assert client.get(base + "video.mp4?download=1").status_code == 200


def test_admins_turn_the_gate_on_and_off_on_the_projects_page(client, team):
    as_(client, team, "admin")
    url = reverse("workspaces:project_gate", args=[team.general.pk])
    assert client.post(url, {"approved_only": "1"}).status_code == 302
    team.general.refresh_from_db()
    assert team.general.approved_only
    page = client.get(reverse("workspaces:projects")).content.decode()
    assert "Approved only: on" in page
    assert client.post(url, {"approved_only": "0"}).status_code == 302
    team.general.refresh_from_db()
    assert not team.general.approved_only
    assert AuditEntry.objects.filter(action="project.gate").count() == 2
    as_(client, team, "editor")
    assert client.post(url, {"approved_only": "1"}).status_code == 403
    team.general.refresh_from_db()
    assert not team.general.approved_only
    assert "Approved only: on" not in client.get(reverse("workspaces:projects")).content.decode()
