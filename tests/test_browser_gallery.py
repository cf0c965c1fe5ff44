"""Gallery and sharing in real Chromium: one live request per interval whatever the number
of running cards, the share flow in a logged-out browser, and no CSP violation or console
error on any page."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from generations.models import Status
from sharing import services as share_services
from tests import media_factory as mf
from tests.browser import login
from tests.factories import GenerationFactory, running_generations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture
def media(local_media):
    return local_media


def finished(user):
    generation = GenerationFactory(
        user=user,
        prompt="Secret launch teaser",
        status=Status.SUCCEEDED,
        video_width=640,
        video_height=640,
        finished_at=timezone.now(),
    )
    generation.video.save("video.mp4", ContentFile(mf.mp4(3)), save=False)
    generation.poster.save("poster.jpg", ContentFile(mf.png(320, 320)), save=False)
    generation.save()
    return generation


@pytest.mark.parametrize("cards", [1, 20])
def test_live_refresh_is_one_request_per_interval(live_server, browser, user, cards):
    running_generations(user, cards)
    context = browser.new_context()
    page = context.new_page()
    login(page, live_server.url, user.username, "correct horse battery")
    live = []
    page.on(
        "response",
        lambda r: "/generations/live/" in r.url and live.append((r.status, len(r.body()))),
    )
    page.wait_for_timeout(10_000)
    context.close()
    assert 3 <= len(live) <= 4, live  # every 2.5 s, however many cards are running
    assert all(status == 204 and size == 0 for status, size in live)


def test_share_unfurls_plays_logged_out_and_dies_on_revoke(live_server, browser, user, media):
    generation = finished(user)
    owner = browser.new_context()
    page = owner.new_page()
    login(page, live_server.url, user.username, "correct horse battery")
    page.goto(f"{live_server.url}/generations/{generation.pk}/")
    page.get_by_role("button", name="Create share link").click()
    url = page.locator("#share-panel input[readonly]").input_value()
    assert url.startswith(live_server.url + "/s/")

    visitor = browser.new_context()  # logged out
    public = visitor.new_page()
    response = public.goto(url)
    assert response.status == 200
    for prop in ("og:title", "og:image", "og:video", "og:video:type"):
        assert public.locator(f'meta[property="{prop}"]').count() == 1
    assert public.locator('meta[name="twitter:card"]').get_attribute("content") == "player"
    assert "Secret launch teaser" not in public.content()
    played = public.locator("video").evaluate(
        """v => new Promise(resolve => { v.muted = true;
            v.play().then(() => setTimeout(() => resolve(v.currentTime), 800))
                    .catch(e => resolve('error ' + e)); })"""
    )
    assert isinstance(played, float) and played > 0.2, played

    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("revoked").wait_for()
    gone = public.goto(url)
    assert gone.status == 410
    assert "no longer available" in public.content()
    assert public.request.get(url + "video.mp4").status == 410
    owner.close()
    visitor.close()


def test_no_page_violates_the_csp_or_logs_an_error(live_server, browser, user, media):
    generation = finished(user)
    running_generations(user, 1)
    from sharing.tokens import token_for

    link = share_services.share_create(generation=generation)
    context = browser.new_context()
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    login(page, live_server.url, user.username, "correct horse battery")
    pages = [
        "/",
        f"/generations/{generation.pk}/",
        f"/generations/{generation.pk}/iterate/edit/",
        f"/generations/{generation.pk}/iterate/continue/",
        "/?status=succeeded&q=launch",
        f"/s/{token_for(link)}/",
    ]
    for path in pages:
        page.goto(live_server.url + path)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__csp") == [], path
    for mode in ("image", "first_last", "reference", "edit", "extend", "text"):
        page.goto(live_server.url + "/")
        page.locator(f'#new-form input[name=mode][value="{mode}"]').check()
        page.wait_for_timeout(400)
        assert page.evaluate("window.__csp") == [], mode
    assert errors == []
    context.close()


def test_an_expired_csrf_token_says_reload_instead_of_a_blank_swap(
    live_server, browser, user, media
):
    finished(user)
    context = browser.new_context()
    page = context.new_page()
    login(page, live_server.url, user.username, "correct horse battery")
    context.clear_cookies(name="csrftoken")  # as after the token expired
    page.locator("#gallery button.star").first.click()
    page.locator("#flash.shown").wait_for()
    assert "session has expired" in page.locator("#flash").inner_text()
    assert page.locator("#gallery article.card").count() == 1  # nothing swapped away
    context.close()
