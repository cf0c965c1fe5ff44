"""Gallery, history and sharing: constant queries per page, filters and search,
favourites, deletion with files, and share links that can be revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Status
from generations.services import library
from sharing import services as share_services
from sharing.models import ShareLink
from sharing.tokens import link_for_token, token_for
from tests.factories import GenerationFactory, clips_of, workspace_of
from workspaces.services import default_project, personal_workspace


@pytest.fixture(autouse=True)
def local_storage(local_media, no_broker):
    return local_media


def make(user, n, **fields):
    now = timezone.now()
    project = default_project(personal_workspace(user))
    return Generation.objects.bulk_create(
        [
            Generation(
                user=user,
                workspace_id=project.workspace_id,
                project=project,
                model=fields.get("model", "seedance2.0-480p"),
                prompt=fields.get("prompt", f"clip number {i}"),
                duration=5,
                aspect_ratio=fields.get("aspect_ratio", "16:9"),
                seed=i,
                status=fields.get("status", Status.SUCCEEDED),
                mode=fields.get("mode", "text"),
                starred=fields.get("starred", False),
                created_at=now - timedelta(seconds=i),
                updated_at=now,
            )
            for i in range(n)
        ]
    )


def finished(user, prompt="shared clip"):
    generation = GenerationFactory(
        user=user, prompt=prompt, seed=9, status=Status.SUCCEEDED, video_width=854, video_height=480
    )
    generation.video.save(
        "v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"v" * 500), save=False
    )
    generation.poster.save("p.jpg", ContentFile(b"\xff\xd8\xff" + b"p" * 100), save=False)
    generation.save()
    return generation


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_gallery_queries_are_the_same_at_10_and_200(client, user):
    client.force_login(user)
    client.get("/")  # the first visit records the current workspace in the session
    make(user, 10)
    small = count_queries(client, "/")
    make(user, 190)
    for generation in Generation.objects.all()[:20]:
        share_services.share_create(generation=generation)
    large = count_queries(client, "/")
    assert small == large
    assert count_queries(client, "/?status=succeeded&q=clip") == count_queries(
        client, "/?status=succeeded&q=number"
    )


def test_gallery_pages_are_keyset_and_complete(client, user):
    client.force_login(user)
    make(user, 60)
    seen = []
    url = "/"
    while url:
        html = client.get(url, HTTP_HX_REQUEST="true" if "after" in url else None)
        body = html.content.decode()
        seen += [chunk.split('"')[0] for chunk in body.split('id="card-')[1:]]
        url = (
            ("/?after=" + body.split("after=")[1].split('"')[0])
            if 'class="load-more"' in body
            else ""
        )
    assert len(seen) == 60 == len(set(seen))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", 2),
        ("mode=image", 3),
        ("model=seedance2.0-720p", 4),
        ("aspect_ratio=9:16", 5),
        ("starred=1", 6),
        ("q=balloon", 7),
        ("q=red+balloon", 7),
        ("q=BALLOON", 7),
        ("q=nothing-matches-this", 0),
        ("date_from=2000-01-01", 24),  # 37 match: the first page
        ("date_to=2000-01-01", 0),
        ("status=succeeded&model=seedance2.0-720p&starred=1", 0),
    ],
)
def test_filters_and_search(client, user, query, expected):
    make(user, 10)
    make(user, 2, status=Status.FAILED, prompt="broken")
    make(user, 3, mode="image", prompt="image one")
    make(user, 4, model="seedance2.0-720p", prompt="hd")
    make(user, 5, aspect_ratio="9:16", prompt="tall")
    make(user, 6, starred=True, prompt="fav")
    make(user, 7, prompt="A red balloon over the sea")
    client.force_login(user)
    html = client.get(f"/?{query}").content.decode()
    assert html.count('class="card ') == expected


@pytest.mark.parametrize(
    "query",
    ["", "status=failed", "mode=image&starred=1", "q=Balloon", "date_from=2000-01-01", "q=100%25"],
)
def test_pages_and_the_live_querysets_agree_on_every_filter(user, other_user, query):
    """The page statement and the ORM queryset (live refresh, card lookups) share one
    definition of the filters; walked page by page they list the same clips in the same
    order, ties on the creation time included."""
    from django.http import QueryDict

    from generations import selectors

    now = timezone.now()
    workspace, project = workspace_of(user)
    rows = []
    for i in range(70):  # three clips share each creation time: the id breaks the tie
        starred, failed = i % 2 == 0, i % 5 == 0
        rows.append(
            Generation(
                user=user,
                workspace=workspace,
                project=project,
                model="seedance2.0-480p",
                prompt="a red balloon, 100% red" if i % 3 else "a kite",
                duration=5,
                aspect_ratio="16:9",
                seed=i,
                status=Status.FAILED if failed else Status.SUCCEEDED,
                mode="image" if i % 4 == 0 else "text",
                starred=starred,
                created_at=now - timedelta(seconds=i // 3),
                updated_at=now,
            )
        )
    Generation.objects.bulk_create(rows)
    make(other_user, 5, prompt="a red balloon")
    filters = selectors.Filters.from_query(QueryDict(query))
    expected = list(selectors.gallery(clips_of(user), filters).values_list("pk", flat=True))
    seen, cursor = [], ""
    while True:
        page = selectors.page(clips_of(user), workspace_of(user)[0].pk, filters, cursor)
        assert len(page.ids) <= selectors.PAGE_SIZE
        seen += page.ids
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert expected and seen == expected


def test_a_broken_cursor_is_the_first_page(user):
    from generations import selectors

    make(user, 30)
    first = selectors.page(clips_of(user), workspace_of(user)[0].pk, selectors.Filters(), "")
    for cursor in ("garbage", "12_not-a-uuid", "x_y", "_"):
        assert (
            selectors.page(
                clips_of(user), workspace_of(user)[0].pk, selectors.Filters(), cursor
            ).ids
            == first.ids
        )


def test_star_toggles_and_returns_the_card(client, user):
    generation = make(user, 1)[0]
    client.force_login(user)
    response = client.post(
        reverse("generations:star", args=[generation.pk]),
        {"starred": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"card-{generation.pk}",
    )
    assert f'id="card-{generation.pk}"' in response.content.decode()
    generation.refresh_from_db()
    assert generation.starred


def test_deleting_removes_the_files(client, user, django_capture_on_commit_callbacks):
    generation = finished(user)
    names = [generation.video.name, generation.poster.name]
    assert all(default_storage.exists(n) for n in names)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("generations:delete", args=[generation.pk]))
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert not any(default_storage.exists(n) for n in names)


def test_bulk_delete_only_touches_my_videos(
    client, user, other_user, django_capture_on_commit_callbacks
):
    mine = finished(user, "mine")
    theirs = finished(other_user, "theirs")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("generations:bulk"), {"action": "delete", "ids": [mine.pk, theirs.pk]})
    assert not Generation.objects.filter(pk=mine.pk).exists()
    assert Generation.objects.filter(pk=theirs.pk).exists()
    assert default_storage.exists(theirs.video.name)


def test_bulk_download_is_a_zip_of_the_selected(client, user):
    import io
    import zipfile

    a, b = finished(user, "a"), finished(user, "b")
    client.force_login(user)
    response = client.post(reverse("generations:bulk"), {"action": "download", "ids": [a.pk, b.pk]})
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 2


def test_share_tokens_are_unguessable_and_not_stored(user):
    link = share_services.share_create(generation=finished(user))
    token = token_for(link)
    assert len(token) >= 43  # 256 bits, 128 of them a secret MAC
    assert link_for_token(token) == link
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert link_for_token(forged) is None
    stored = " ".join(str(v) for v in ShareLink.objects.values_list().get())
    assert token not in stored


def test_share_page_hides_the_prompt_by_default_and_unfurls(client, user):
    generation = finished(user, "Secret campaign prompt")
    link = share_services.share_create(generation=generation)
    response = client.get(f"/s/{token_for(link)}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Secret campaign prompt" not in html
    for tag in (
        'property="og:title"',
        'property="og:image"',
        'property="og:video"',
        'name="twitter:card"',
        'name="robots" content="noindex',
    ):
        assert tag in html
    assert response["X-Robots-Tag"].startswith("noindex")
    assert user.username not in html
    assert str(generation.pk) not in html
    link.refresh_from_db()
    assert link.view_count == 1


def test_revoked_or_expired_links_are_gone_with_their_media(client, user):
    generation = finished(user)
    link = share_services.share_create(generation=generation, show_prompt=True)
    token = token_for(link)
    assert client.get(f"/s/{token}/video.mp4").status_code == 200
    share_services.share_revoke(link=link)
    assert client.get(f"/s/{token}/").status_code == 410
    assert "no longer available" in client.get(f"/s/{token}/").content.decode()
    assert client.get(f"/s/{token}/video.mp4").status_code == 410
    expiring = share_services.share_create(generation=generation, expires_in_days=1)
    ShareLink.objects.filter(pk=expiring.pk).update(expires_at=timezone.now())
    assert client.get(f"/s/{token_for(expiring)}/").status_code == 410


def test_another_users_share_management_is_404(client, user, other_user):
    link = share_services.share_create(generation=finished(other_user))
    client.force_login(user)
    assert client.post(reverse("sharing:create", args=[link.generation.pk])).status_code == 404
    assert (
        client.post(reverse("sharing:revoke", args=[link.generation.pk, link.pk])).status_code
        == 404
    )
    link.refresh_from_db()
    assert link.revoked_at is None


def test_make_all_formats_creates_a_group_of_three(client, user):
    client.force_login(user)
    client.post(
        reverse("generations:create"),
        {
            "mode": "text",
            "model": "seedance2.0-480p",
            "prompt": "three formats",
            "duration": "5",
            "aspect_ratio": "16:9",
            "all_formats": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    made = Generation.objects.filter(prompt="three formats")
    assert sorted(made.values_list("aspect_ratio", flat=True)) == ["16:9", "1:1", "9:16"]
    assert len(set(made.values_list("group", flat=True))) == 1


def test_edit_and_run_prefills_everything(client, user):
    generation = finished(user, "tweak me")
    client.force_login(user)
    html = client.get(reverse("generations:iterate", args=[generation.pk, "edit"])).content
    assert b"tweak me" in html
    assert str(generation.pk).encode() in html  # copy_references_from


def test_cached_cards_follow_every_change_and_hold_nothing_per_viewer(client, user, other_user):
    """Finished cards come from the fragment cache; a star, a share, a revoke or another
    viewer must still see the right card, and a card holds no CSRF token."""
    generation = make(user, 1)[0]
    card = f'id="card-{generation.pk}"'

    def page(who=user) -> str:
        client.force_login(who)
        return client.get("/").content.decode()

    first = page()
    article = first.split(card)[1].split("</article>")[0]
    assert "csrfmiddlewaretoken" not in article
    assert "★" not in article and "Shared" not in article
    assert first.count('id="clip-actions"') == 1

    library.generation_star(generation=generation, starred=True)
    assert "★" in page().split(card)[1].split("</article>")[0]
    link = share_services.share_create(generation=generation)
    assert "Shared" in page().split(card)[1].split("</article>")[0]
    share_services.share_revoke(link=link)
    assert "Shared" not in page().split(card)[1].split("</article>")[0]
    assert card not in page(other_user)


def test_card_buttons_work_without_javascript(user):
    """Star and Try again post through the page's one #clip-actions form and its token."""
    from django.test import Client

    failed = make(user, 1, status=Status.FAILED)[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    html = browser.get("/").content.decode()
    form = html.split('id="clip-actions"')[1].split("</form>")[0]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    star = html.split(f'id="card-{failed.pk}"')[1].split("</article>")[0]
    assert 'form="clip-actions"' in star and f'formaction="{failed.url}star/"' in star
    response = browser.post(f"{failed.url}star/", {"csrfmiddlewaretoken": token, "starred": "1"})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.starred
    assert browser.post(f"{failed.url}star/", {"starred": "0"}).status_code == 403


def test_a_page_is_cached_whole_only_while_nothing_on_it_runs(user):
    from generations import selectors

    done = make(user, 3)

    def key() -> str:
        return selectors.page(
            clips_of(user), workspace_of(user)[0].pk, selectors.Filters(), ""
        ).html_key

    finished = key()
    assert finished
    library.generation_star(generation=done[0], starred=True)
    assert key() not in {"", finished}  # any change names a new page
    Generation.objects.filter(pk=done[1].pk).update(status=Status.RUNNING)
    assert key() == ""  # a running card's text changes with time


def test_the_shared_new_video_form_holds_nothing_of_one_user(client, user, other_user):
    """The gallery's fresh form comes from the fragment cache for everyone."""
    from generations.formfields import OutputChoiceField
    from generations.forms import form_for

    assert not any(isinstance(f, OutputChoiceField) for f in form_for("text")().fields.values())

    def form_html(who) -> str:
        client.force_login(who)
        html = client.get("/").content.decode()
        form = html.split('id="new-form"')[1].split("</form>")[0]
        return form.split('name="csrfmiddlewaretoken"')[1].split(">", 1)[1]

    make(user, 2)
    assert form_html(user) == form_html(other_user)


def test_the_clip_knows_until_when_it_is_shared(user):
    generation = make(user, 1)[0]
    week = share_services.share_create(generation=generation, expires_in_days=7)
    generation.refresh_from_db()
    assert generation.shared
    assert timedelta(days=6) < generation.shared_until - timezone.now() <= timedelta(days=7)
    forever = share_services.share_create(generation=generation)
    share_services.share_revoke(link=week)
    generation.refresh_from_db()
    assert generation.shared and generation.shared_until.year == 9999
    share_services.share_revoke(link=forever)
    generation.refresh_from_db()
    assert not generation.shared and generation.shared_until is None
    generation.shared_until = timezone.now() - timedelta(seconds=1)  # an expired link
    assert not generation.shared
