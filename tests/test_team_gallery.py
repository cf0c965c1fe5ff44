"""The gallery of a team: the project filter and Move, who made each card, what each role
sees, and the one live refresh that carries teammates' clips to every tab."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.services import month_of
from generations import services
from generations.models import Generation, Status
from tests.factories import UserFactory
from workspaces import access
from workspaces.models import Membership, Project, Role, Workspace
from workspaces.services import (
    default_project,
    personal_workspace,
    project_archive,
    project_create,
    project_rename,
)


@pytest.fixture(autouse=True)
def _no_broker(no_broker, local_media):
    return no_broker


@pytest.fixture
def team(user):
    """The user's workspace with a teammate of every other role."""
    workspace = personal_workspace(user)
    members = {Role.OWNER: user}
    for role in (Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER):
        members[role] = UserFactory(username=f"{role}-mate")
        Membership.objects.create(workspace=workspace, user=members[role], role=role)
    return workspace, members


def enter(client, who, workspace) -> None:
    """Log ``who`` in with ``workspace`` as the session's current workspace."""
    client.force_login(who)
    session = client.session
    session[access.SESSION_KEY] = str(workspace.pk)
    session.save()


def clips(user, workspace, n, project=None, status=Status.SUCCEEDED, prompt="clip"):
    project = project or default_project(workspace)
    now = timezone.now()
    return Generation.objects.bulk_create(
        [
            Generation(
                user=user,
                workspace=workspace,
                project=project,
                model="seedance2.0-480p",
                prompt=f"{prompt} {i}",
                duration=5,
                aspect_ratio="16:9",
                seed=i,
                status=status,
                created_at=now - timedelta(seconds=i),
                updated_at=now,
            )
            for i in range(n)
        ]
    )


def card(html: str, generation) -> str:
    return html.split(f'id="card-{generation.pk}"')[1].split("</article>")[0]


def filter_bar(html: str) -> str:
    return html.split('class="filters"')[1].split("</form>")[0]


def test_the_filter_bar_never_shows_another_workspaces_projects(client, user, other_user):
    """Both pages have the same filter query: the cached filter bar must still differ."""
    mine = personal_workspace(user)
    theirs = personal_workspace(other_user)
    project_create(workspace=mine, actor=user, name="Acme launch")
    project_create(workspace=theirs, actor=other_user, name="Globex secret")

    client.force_login(user)
    bar = filter_bar(client.get("/").content.decode())
    assert "Acme launch" in bar and "Globex secret" not in bar
    client.force_login(other_user)
    bar = filter_bar(client.get("/").content.decode())
    assert "Globex secret" in bar and "Acme launch" not in bar

    # A new, renamed or archived project shows at once.
    acme = Project.objects.get(name="Acme launch")
    project_rename(project=acme, actor=user, name="Acme relaunch")
    project_archive(project=acme, actor=user, archived=True)
    client.force_login(user)
    bar = filter_bar(client.get("/").content.decode())
    assert "Acme launch" not in bar
    archived = bar.split('<optgroup label="Archived">')[1].split("</optgroup>")[0]
    assert "Acme relaunch (archived)" in archived


def test_the_project_filter_shows_only_that_projects_clips(client, user):
    workspace = personal_workspace(user)
    other = project_create(workspace=workspace, actor=user, name="Client B")
    general = clips(user, workspace, 2, prompt="general")
    client_b = clips(user, workspace, 2, project=other, prompt="client b")
    client.force_login(user)
    html = client.get(f"/?project={other.pk}").content.decode()
    assert all(f'id="card-{g.pk}"' in html for g in client_b)
    assert not any(f'id="card-{g.pk}"' in html for g in general)
    assert f'<option value="{other.pk}" selected>Client B</option>' in filter_bar(html)


def test_bulk_move_and_the_clip_pages_move(client, user, team):
    workspace, members = team
    editor = members[Role.EDITOR]
    target = project_create(workspace=workspace, actor=user, name="Campaign")
    made = clips(editor, workspace, 3)
    enter(client, editor, workspace)
    bar = client.get("/").content.decode().split('id="bulk-form"')[1].split("</form>")[0]
    assert 'value="move"' in bar and "Campaign" in bar

    response = client.post(
        reverse("generations:bulk"),
        {"action": "move", "project": str(target.pk), "ids": [str(g.pk) for g in made[:2]]},
    )
    assert response.status_code == 302
    moved = dict(Generation.objects.values_list("pk", "project_id"))
    assert [moved[g.pk] for g in made] == [target.pk, target.pk, made[2].project_id]

    page = client.get(made[2].url).content.decode()
    assert '<dt>Project</dt><dd class="project">General</dd>' in page
    assert f'action="{reverse("generations:move", args=[made[2].pk])}"' in page
    client.post(reverse("generations:move", args=[made[2].pk]), {"project": str(target.pk)})
    page = client.get(made[2].url).content.decode()
    assert '<dt>Project</dt><dd class="project">Campaign</dd>' in page


def test_cards_name_the_maker_and_the_project_and_follow_renames(client, user, team):
    """The page and its cards are cached: a rename changes no clip row, yet shows."""
    workspace, members = team
    editor = members[Role.EDITOR]
    theirs = clips(editor, workspace, 1)[0]
    mine = clips(user, workspace, 1, prompt="mine")[0]
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "by editor-mate" in card(html, theirs) and "General" in card(html, theirs)
    assert f"by {user.username}" in card(html, mine)

    get_user_model().objects.filter(pk=editor.pk).update(username="alice")
    project_rename(project=default_project(workspace), actor=user, name="Spring campaign")
    html = client.get("/").content.decode()
    assert "by alice" in card(html, theirs)
    assert "Spring campaign" in card(html, theirs) and "General" not in card(html, theirs)

    get_user_model().objects.filter(pk=editor.pk).delete()
    assert "by a former member" in card(client.get("/").content.decode(), theirs)


def test_a_team_gallery_takes_the_same_queries_at_10_and_200(client, user, team):
    workspace, members = team
    projects = [project_create(workspace=workspace, actor=user, name=f"P{i}") for i in range(3)]

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    enter(client, members[Role.VIEWER], workspace)
    client.get("/")
    for i, who in enumerate(members.values()):
        clips(who, workspace, 2, project=projects[i % 3])
    small = count()
    for i, who in enumerate(members.values()):
        clips(who, workspace, 38, project=projects[i % 3], status=Status.RUNNING)
    assert count() == small


def test_a_warm_gallery_reads_four_tables_and_hints_add_the_inbox_and_budgets(client, user, team):
    """Session, user, memberships and the page: the inbox count and the budget banner are
    read only when a membership's hint or the workspace's alert month says there is
    something to show, and the project lists come from the fragment cache."""
    workspace, members = team
    for i in range(3):
        project_create(workspace=workspace, actor=user, name=f"P{i}")
    clips(members[Role.EDITOR], workspace, 5)
    enter(client, members[Role.EDITOR], workspace)
    client.get("/")

    def tables() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return [q["sql"].split(" FROM ", 1)[-1].split()[0] for q in ctx.captured_queries]

    quiet = tables()
    assert len(quiet) == 4, quiet
    assert not any("notification" in t or "budget" in t for t in quiet)

    Membership.objects.filter(workspace=workspace, user=members[Role.EDITOR]).update(
        unread_hint=True
    )
    Workspace.objects.filter(pk=workspace.pk).update(budget_alert_month=month_of(timezone.now())[0])
    hinted = tables()
    assert len(hinted) == 6, hinted
    assert any("sharing_notification" in t for t in hinted)
    assert any("billing_budget" in t for t in hinted)


def actions(html: str) -> str:
    return html.split('<div class="actions">', 2)[-1].split("<section")[0]


@pytest.mark.parametrize(
    ("role", "controls"),
    [
        (Role.VIEWER, set()),
        (Role.REVIEWER, set()),
        (Role.EDITOR, {"run", "move"}),
        (Role.ADMIN, {"run", "move", "delete"}),
        (Role.OWNER, {"run", "move", "delete"}),
    ],
)
def test_the_clip_page_shows_what_the_role_may_do(client, user, team, role, controls):
    """On a teammate's finished clip; the server answers 403 to the hidden ones."""
    workspace, members = team
    made = clips(members[Role.EDITOR], workspace, 1)[0]
    if role == Role.EDITOR:
        made = clips(UserFactory(username="second-editor"), workspace, 1, prompt="t")[0]
    enter(client, members[role], workspace)
    page = client.get(made.url).content.decode()
    shown = {
        "run": "Run again (same seed)" in page and "Edit and run" in page,
        "move": reverse("generations:move", args=[made.pk]) in page,
        "delete": reverse("generations:delete", args=[made.pk]) in page,
    }
    assert {name for name, on in shown.items() if on} == controls
    if "delete" not in controls:
        assert client.post(reverse("generations:delete", args=[made.pk])).status_code == 403
    if "run" not in controls:
        assert client.post(reverse("generations:rerun", args=[made.pk])).status_code == 403
        assert client.post(reverse("generations:cancel", args=[made.pk])).status_code == 403


def test_an_editor_may_delete_their_own_clip_but_no_teammates(client, user, team):
    workspace, members = team
    editor = members[Role.EDITOR]
    own = clips(editor, workspace, 1)[0]
    running = clips(user, workspace, 1, status=Status.RUNNING)[0]
    enter(client, editor, workspace)
    assert reverse("generations:delete", args=[own.pk]) in client.get(own.url).content.decode()
    page = client.get(running.url).content.decode()
    assert reverse("generations:cancel", args=[running.pk]) in page
    enter(client, members[Role.VIEWER], workspace)
    page = client.get(running.url).content.decode()
    assert reverse("generations:cancel", args=[running.pk]) not in page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.REVIEWER])
def test_a_read_only_gallery_hides_every_editor_control(client, user, team, role):
    workspace, members = team
    failed = clips(user, workspace, 1, status=Status.FAILED)[0]
    enter(client, members[role], workspace)
    html = client.get("/").content.decode()
    assert '<div class="studio read-only">' in html
    bar = html.split('id="bulk-form"')[1].split("</form>")[0]
    assert 'value="download"' in bar
    assert 'value="delete"' not in bar and 'value="move"' not in bar
    assert 'data-viewer="star"' not in html
    # The card is the cached one every member gets; the page's class hides its controls.
    assert 'class="star' in card(html, failed) and 'class="secondary rerun"' in card(html, failed)
    moved = {"action": "move", "ids": [str(failed.pk)], "project": str(failed.project_id)}
    assert client.post(reverse("generations:bulk"), moved).status_code == 403
    assert client.post(f"{failed.url}star/", {"starred": "1"}).status_code == 403


def live_token(html: str) -> str:
    return html.split('data-version="')[1].split('"')[0]


def test_a_teammates_clip_reaches_every_member_through_their_one_live_refresh(
    client, user, other_user, team
):
    """Member B's new clip, then its finish, arrive in member A's live refresh; a member of
    another workspace sees neither. However many members and running clips, the response
    has one poller and no card polls on its own."""
    from django.test import Client

    workspace, members = team
    editor = members[Role.EDITOR]
    enter(client, user, workspace)
    version = live_token(client.get("/").content.decode())
    outsider = Client()
    outsider.force_login(other_user)
    outsider_version = live_token(outsider.get("/").content.decode())
    assert client.get(f"/generations/live/?v={version}").status_code == 204

    author = Client()
    enter(author, editor, workspace)
    data = {
        "mode": "text",
        "model": "seedance2.0-480p",
        "prompt": "Team launch teaser",
        "duration": "5",
        "aspect_ratio": "9:16",
    }
    assert author.post("/generations/create/", data).status_code == 302
    made = Generation.objects.get(prompt="Team launch teaser")
    assert made.workspace_id == workspace.pk
    for who in (members[Role.ADMIN], members[Role.REVIEWER]):
        clips(who, workspace, 5, status=Status.RUNNING, prompt=who.username)

    response = client.get(f"/generations/live/?v={version}").content.decode()
    new = response.split('hx-swap-oob="afterbegin:#gallery"')
    assert any(f'id="card-{made.pk}"' in chunk for chunk in new[1:])
    assert "by editor-mate" in card(response, made)
    assert response.count("hx-trigger=") == 1 and response.count('id="live"') == 1
    assert outsider.get(f"/generations/live/?v={outsider_version}").status_code == 204
    assert f"card-{made.pk}" not in outsider.get("/generations/live/?v=0").content.decode()

    version = live_token(response)
    services.generation_cancel(generation=made)
    response = client.get(f"/generations/live/?v={version}").content.decode()
    assert 'data-status="cancelled"' in card(response, made)
    assert response.count("hx-trigger=") == 1
    assert outsider.get(f"/generations/live/?v={outsider_version}").status_code == 204
    assert f"card-{made.pk}" not in outsider.get("/").content.decode()
