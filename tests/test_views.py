"""Pages and partials: login, isolation between users, the live refresh contract, files."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from generations.models import Generation, Status
from tests.factories import GenerationFactory

DATA = {
    "mode": "text",
    "model": "seedance2.0-480p",
    "prompt": "A red balloon over the sea",
    "duration": "5",
    "aspect_ratio": "9:16",
}


@pytest.fixture(autouse=True)
def _no_broker(no_broker):
    return no_broker


@pytest.fixture
def generation(user):
    return GenerationFactory(user=user, prompt="Mine")


@pytest.fixture
def stored(generation, local_media):
    generation.video.save("video.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"x" * 1000))
    generation.status = Status.SUCCEEDED
    generation.save()
    return generation


def test_pages_need_a_login(client, generation):
    for url in ["/", reverse("generations:detail", args=[generation.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_login_page_has_labels(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username"' in html
    assert '<label for="id_password"' in html


def test_gallery_shows_only_my_generations(client, user, other_user, generation):
    GenerationFactory(user=other_user, prompt="Theirs", seed=2)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "Mine" in html
    assert "Theirs" not in html


@pytest.mark.parametrize("name", ["detail", "cancel", "rerun", "file"])
def test_another_users_generation_is_a_404(client, other_user, stored, name):
    client.force_login(other_user)
    args = [stored.pk, "video"] if name == "file" else [stored.pk]
    url = reverse(f"generations:{name}", args=args)
    response = client.post(url) if name in {"cancel", "rerun"} else client.get(url)
    assert response.status_code == 404


def test_create_by_htmx_returns_the_new_card_and_a_live_poller(
    client, user, no_broker, django_capture_on_commit_callbacks
):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/generations/create/", DATA, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    generation = Generation.objects.get()
    assert no_broker == [str(generation.pk)]
    assert f'id="card-{generation.pk}"' in html
    assert 'hx-swap-oob="afterbegin:#gallery"' in html
    assert 'id="live"' in html and "hx-trigger=" in html
    assert generation.aspect_ratio == "9:16"


def test_create_without_htmx_redirects_to_the_gallery(client, user):
    client.force_login(user)
    response = client.post("/generations/create/", DATA)
    assert response.status_code == 302


def test_live_refresh_transfers_nothing_when_nothing_changed(client, user, generation):
    client.force_login(user)
    page = client.get("/").content.decode()
    version = page.split('data-version="')[1].split('"')[0]
    unchanged = client.get(f"/generations/live/?v={version}")
    assert unchanged.status_code == 204
    assert unchanged.content == b""
    Generation.objects.filter(pk=generation.pk).update(
        progress=40, status=Status.RUNNING, updated_at=generation.updated_at.replace(year=2099)
    )
    changed = client.get(f"/generations/live/?v={version}").content.decode()
    assert f'id="card-{generation.pk}"' in changed
    assert 'hx-swap-oob="true"' in changed


def test_live_refresh_sends_many_changes_in_batches_and_skips_none(client, user):
    from datetime import timedelta

    from django.utils import timezone

    from generations.selectors import LIVE_BATCH

    client.force_login(user)
    version = client.get("/").content.decode().split('data-version="')[1].split('"')[0]
    later = timezone.now() + timedelta(minutes=1)
    made = GenerationFactory.create_batch(LIVE_BATCH + 7, user=user, status=Status.RUNNING)
    # A thousand in flight change faster than one response carries; some share a stamp.
    for i, g in enumerate(made):
        stamp = later + timedelta(microseconds=i if i < LIVE_BATCH - 1 else LIVE_BATCH)
        Generation.objects.filter(pk=g.pk).update(updated_at=stamp)
    seen: set[str] = set()
    for _ in range(3):
        response = client.get(f"/generations/live/?v={version}")
        if response.status_code == 204:
            break
        html = response.content.decode()
        seen |= {str(g.pk) for g in made if f'id="card-{g.pk}"' in html}
        version = html.split('data-version="')[1].split('"')[0]
    assert seen == {str(g.pk) for g in made}
    assert client.get(f"/generations/live/?v={version}").status_code == 204


def test_live_poller_slows_down_when_nothing_is_running(client, user, generation, settings):
    """Idle, the tab still asks now and then (a teammate may start a clip), at a quarter of
    the rate it asks while something runs."""
    settings.STUDIO_LIVE_REFRESH_SECONDS = 2.5
    client.force_login(user)

    def trigger() -> str:
        live = client.get("/").content.decode().split('id="live"')[1].split(">")[0]
        return live.split('hx-trigger="')[1].split('"')[0]

    assert trigger() == "every 2.5s, refresh"
    Generation.objects.filter(pk=generation.pk).update(status=Status.SUCCEEDED)
    assert trigger() == "every 10.0s, refresh"


def test_a_running_detail_page_refreshes_itself_and_a_finished_one_does_not(
    client, user, generation
):
    client.force_login(user)
    url = reverse("generations:detail", args=[generation.pk])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.FAILED, error_message="Because."
    )
    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="detail-body").content.decode()
    assert "hx-trigger" not in html
    assert "Because." in html
    assert "<html" not in html  # only the partial


def test_files_are_served_from_our_storage_with_ranges(client, user, stored):
    client.force_login(user)
    url = reverse("generations:file", args=[stored.pk, "video"])
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Content-Type"] == "video/mp4"
    assert b"".join(whole.streaming_content)[4:8] == b"ftyp"
    part = client.get(url, HTTP_RANGE="bytes=4-7")
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == b"ftyp"
    assert part["Content-Range"].startswith("bytes 4-7/")
    download = client.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_a_missing_file_is_a_404(client, user, generation):
    client.force_login(user)
    assert client.get(reverse("generations:file", args=[generation.pk, "poster"])).status_code == (
        404
    )


def test_cancel_marks_a_queued_generation_cancelled(client, user, generation):
    client.force_login(user)
    client.post(reverse("generations:cancel", args=[generation.pk]))
    generation.refresh_from_db()
    assert generation.status == Status.CANCELLED


def test_an_expired_session_during_htmx_sends_the_browser_to_login(client, db):
    response = client.get("/generations/live/?v=0", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")
