"""Version stacks: "Edit and run" and "Run again" make the next version of a clip, numbers
never repeat even when edits race, and the clip, compare and public share pages show the
stack."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from generations.models import Generation
from generations.services import generation_create, generation_rerun, versions
from sharing.models import ShareLink
from sharing.services import share_create
from sharing.tokens import token_for
from tests.billing_support import CLIP, make_team
from tests.factories import UserFactory
from tests.matrix_world import finished_clip
from workspaces.models import Membership, Role

pytestmark = pytest.mark.usefixtures("no_broker", "local_media")


def _v1(team):
    return generation_create(
        user=team.users["editor"], data=CLIP, workspace=team.workspace, project=team.client
    )


@pytest.mark.django_db
def test_a_new_clip_is_v1_of_its_own_stack_and_reruns_follow_it():
    team = make_team()
    first = _v1(team)
    assert (first.stack, first.version) == (first.pk, 1)
    second = generation_rerun(generation=first, user=team.users["editor"])
    third = generation_rerun(generation=second, user=team.users["admin"], same_seed=False)
    assert [(g.stack, g.version) for g in (second, third)] == [(first.pk, 2), (first.pk, 3)]
    other = _v1(team)
    assert (other.stack, other.version) == (other.pk, 1)


@pytest.mark.django_db
def test_a_clip_made_before_stacks_is_v1_and_its_edit_is_v2():
    team = make_team()
    old = finished_clip(
        user=team.users["editor"], workspace=team.workspace, project=team.client, prompt="old"
    )
    Generation.objects.filter(pk=old.pk).update(stack=None)  # as the migration found it
    old.refresh_from_db()
    edit = generation_create(
        user=team.users["editor"],
        data=CLIP,
        workspace=team.workspace,
        project=team.client,
        version_of=old,
    )
    assert (edit.stack, edit.version) == (old.pk, 2)
    assert [v.version for v in versions.versions(edit, Generation.objects.all())] == [1, 2]


@pytest.mark.django_db
def test_a_version_never_crosses_workspaces(user):
    team = make_team()
    source = _v1(team)
    with pytest.raises(ValueError):
        generation_create(user=user, data=CLIP, version_of=source)
    assert Generation.objects.filter(stack=source.pk).count() == 1


def _team_with_editors(count: int):
    team = make_team()
    editors = [UserFactory() for _ in range(count)]
    Membership.objects.bulk_create(
        [Membership(workspace=team.workspace, user=u, role=Role.EDITOR) for u in editors]
    )
    return team, editors


def _next_row(source: Generation, user) -> Generation:
    """A version row numbered by ``next_version`` alone, in the caller's transaction (no
    budget or limit lock of ``generation_create`` around it to serialise the writers)."""
    row = Generation(
        user=user,
        workspace_id=source.workspace_id,
        project_id=source.project_id,
        model=source.model,
        prompt="edit",
        duration=5,
        aspect_ratio="16:9",
        seed=1,
        stack=source.stack_key,
    )
    row.version = versions.next_version(stack=row.stack)
    row.save(force_insert=True)
    return row


@pytest.mark.django_db(transaction=True)
def test_an_edit_waits_for_one_in_flight_and_takes_the_next_number():
    """The main thread holds v2 uncommitted; a second edit must wait and take v3 (without
    the lock it would count v1 only, take 2 and hit the unique constraint)."""
    team, (other,) = _team_with_editors(1)
    source = _v1(team)
    outcome: list[object] = []

    def edit() -> None:
        try:
            with transaction.atomic():
                outcome.append(_next_row(source, other).version)
        except Exception as exc:  # reported by the assertion below
            outcome.append(repr(exc))
        finally:
            connection.close()

    with transaction.atomic():
        mine = _next_row(source, team.users["editor"])
        thread = threading.Thread(target=edit)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive(), "the second edit did not wait for the first"
    thread.join(timeout=30)
    assert mine.version == 2
    assert outcome == [3]


@pytest.mark.django_db(transaction=True)
def test_edits_at_the_same_moment_get_distinct_numbers():
    """The whole path, six members editing one clip at once."""
    team, editors = _team_with_editors(6)
    source = _v1(team)
    start = threading.Barrier(len(editors))
    outcomes: list[object] = []

    def edit(user) -> None:
        try:
            start.wait()
            made = generation_create(
                user=user,
                data=CLIP,
                workspace=team.workspace,
                project=team.client,
                version_of=source,
            )
            outcomes.append(made.version)
        except Exception as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(u,)) for u in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == list(range(2, 2 + len(editors)))
    numbers = Generation.objects.filter(stack=source.pk).values_list("version", flat=True)
    assert sorted(numbers) == list(range(1, 2 + len(editors)))


@pytest.mark.django_db
def test_edit_and_run_through_the_studio_makes_the_next_version(client):
    team = make_team()
    source = finished_clip(
        user=team.users["editor"], workspace=team.workspace, project=team.client, prompt="kite"
    )
    client.force_login(team.users["editor"])
    form = client.get(reverse("generations:iterate", args=[source.pk, "edit"]))
    assert f'name="version_of" value="{source.pk}"' in form.content.decode()
    posted = client.post(
        reverse("generations:create"),
        {**CLIP, "version_of": str(source.pk), "project": str(team.client.pk)},
    )
    assert posted.status_code == 302
    made = Generation.objects.exclude(pk=source.pk).get()
    assert (made.stack, made.version) == (source.pk, 2)
    page = client.get(reverse("generations:detail", args=[made.pk])).content.decode()
    assert reverse("generations:detail", args=[source.pk]) in page
    assert reverse("generations:compare", args=[made.pk, source.pk]) not in page  # not ready


@pytest.mark.django_db
def test_a_version_of_another_workspace_is_a_field_error(client, user):
    team = make_team()
    foreign = _v1(team)
    client.force_login(user)
    response = client.post(
        reverse("generations:create"), {**CLIP, "version_of": str(foreign.pk)}, HTTP_HX_REQUEST="1"
    )
    assert response.status_code == 200
    assert "That earlier version is not available." in response.content.decode()
    assert not Generation.objects.filter(user=user).exists()


def _two_finished_versions(team):
    first = finished_clip(
        user=team.users["editor"], workspace=team.workspace, project=team.client, prompt="v1"
    )
    second = finished_clip(
        user=team.users["editor"], workspace=team.workspace, project=team.client, prompt="v2"
    )
    Generation.objects.filter(pk=first.pk).update(stack=first.pk, version=1)
    Generation.objects.filter(pk=second.pk).update(stack=first.pk, version=2)
    first.refresh_from_db()
    second.refresh_from_db()
    return first, second


@pytest.mark.django_db
def test_the_clip_page_lists_the_stack_with_compare_links(client):
    team = make_team()
    first, second = _two_finished_versions(team)
    client.force_login(team.users["viewer"])
    page = client.get(reverse("generations:detail", args=[second.pk])).content.decode()
    assert 'aria-current="page">v2<' in page
    assert f'href="{reverse("generations:detail", args=[first.pk])}">v1<' in page
    compare_url = reverse("generations:compare", args=[second.pk, first.pk])
    assert compare_url in page
    shown = client.get(compare_url).content.decode()
    for clip in (first, second):
        assert reverse("generations:file", args=[clip.pk, "video"]) in shown


@pytest.mark.django_db
def test_compare_refuses_clips_outside_the_stack(client):
    team = make_team()
    first, second = _two_finished_versions(team)
    stranger = finished_clip(
        user=team.users["editor"], workspace=team.workspace, project=team.client, prompt="x"
    )
    client.force_login(team.users["editor"])
    for a, b in ((first, stranger), (first, first), (stranger, second)):
        assert client.get(reverse("generations:compare", args=[a.pk, b.pk])).status_code == 404


@pytest.mark.django_db
def test_the_share_page_lists_only_versions_that_are_shared(client):
    team = make_team()
    first, second = _two_finished_versions(team)
    third = finished_clip(
        user=team.users["editor"], workspace=team.workspace, project=team.client, prompt="v3"
    )
    Generation.objects.filter(pk=third.pk).update(stack=first.pk, version=3)
    link_two = share_create(generation=second)
    page = client.get(f"/s/{token_for(link_two)}/").content.decode()
    assert 'id="versions"' not in page  # the only shared version: no stack to show
    link_one = share_create(generation=first)
    page = client.get(f"/s/{token_for(link_two)}/").content.decode()
    assert f'href="/s/{token_for(link_one)}/">v1<' in page
    assert 'aria-current="page">v2<' in page
    assert ">v3<" not in page  # never shared: stays private
    ShareLink.objects.filter(pk=link_one.pk).update(revoked_at=link_one.created_at)
    from sharing.services import sync_shared

    sync_shared(first.pk)
    page = client.get(f"/s/{token_for(link_two)}/").content.decode()
    assert token_for(link_one) not in page
