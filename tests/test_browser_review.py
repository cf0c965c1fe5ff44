"""Review through a share link in real Chromium (issue 15): a signed-out guest comments at
00:03 and the owner's open clip page shows it through its live request, and clicking it
seeks the player to 3 s; the guest approves and the clip turns Approved; once the owner
revokes the link, the guest's next post gets 410."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from generations.models import Generation, ReviewStatus, Status
from sharing.models import Comment
from tests import media_factory as mf
from tests.browser import login
from tests.factories import GenerationFactory
from tests.test_browser_studio import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def six_second_clip(user) -> Generation:
    clip = GenerationFactory(
        user=user,
        prompt="Sneaker launch",
        status=Status.SUCCEEDED,
        duration=5,
        video_width=320,
        video_height=180,
        finished_at=timezone.now(),
    )
    clip.video.save("video.mp4", ContentFile(mf.mp4(6, "320x180")), save=False)
    clip.poster.save("poster.png", ContentFile(mf.png(320, 180)), save=False)
    clip.save()
    return clip


def test_a_guest_reviews_through_a_share_link_and_the_owner_sees_it_live(
    live_server, browser, user, local_media, settings
):
    settings.STUDIO_LIVE_REFRESH_SECONDS = 1
    clip = six_second_clip(user)
    base = live_server.url
    owner_context = browser.new_context(viewport={"width": 1366, "height": 900})
    owner = owner_context.new_page()
    errors: list[str] = []
    owner.on("pageerror", lambda e: errors.append(str(e)))
    login(owner, base, user.username, PASSWORD)
    owner.goto(f"{base}/generations/{clip.pk}/")

    # The owner submits the clip for review and shares it, letting guests comment and approve.
    owner.get_by_role("button", name="Submit for review").click()
    expect(owner.locator("#review-state [data-review-status]")).to_have_text("In review")
    owner.get_by_label("Guests may comment").check()
    owner.get_by_label("Guests may approve or request changes").check()
    owner.get_by_role("button", name="Create share link").click()
    link_field = owner.get_by_label("Public link")
    expect(link_field).to_have_value(re.compile(r"/s/.+/$"))
    share_url = link_field.input_value()

    # A signed-out guest: the playhead at 3 s, "C" starts a comment there.
    guest_context = browser.new_context(viewport={"width": 1280, "height": 900})
    guest = guest_context.new_page()
    guest.goto(share_url)
    guest.wait_for_function("document.querySelector('.player video').readyState >= 1")
    guest.evaluate("""() => new Promise(done => { const v = document.querySelector('.player video');
        v.addEventListener('seeked', done, {once: true}); v.currentTime = 3; })""")
    guest.get_by_label("Your name").fill("Dana from Acme")
    guest.locator("h2").first.click()  # out of the text field, so "C" is the shortcut
    guest.keyboard.press("c")
    expect(guest.get_by_label(re.compile("Comment at the playhead"))).to_be_focused()
    expect(guest.locator("#comment-start")).to_have_value("00:03")
    guest.keyboard.type("Logo too small here")
    guest.get_by_role("button", name="Comment", exact=True).click()
    expect(guest.locator("#comments")).to_contain_text("Logo too small here")
    comment = Comment.objects.get()
    assert comment.start == 3.0 and comment.author is None
    assert comment.guest_name == "Dana from Acme"

    # The owner's tab shows it through the page's live request, and its time seeks to 3 s.
    entry = owner.locator("#comments li", has_text="Logo too small here")
    expect(entry).to_be_visible(timeout=8000)
    expect(entry).to_contain_text("Dana from Acme (guest)")
    entry.get_by_role("button", name="00:03").click()
    owner.wait_for_function(
        "Math.abs(document.querySelector('.player video').currentTime - 3) < 0.05"
    )

    # The guest approves; the clip turns Approved, on the owner's open page too.
    guest.get_by_role("button", name="Approve").click()
    expect(guest.locator("[data-review-status]")).to_have_text("Approved")
    clip.refresh_from_db()
    assert clip.review_status == ReviewStatus.APPROVED
    expect(owner.locator("#review-state [data-review-status]")).to_have_text(
        "Approved", timeout=8000
    )
    expect(owner.locator("#review-state")).to_contain_text("by Dana from Acme (guest)")

    # The owner revokes the link; the guest's page is still open, and their post gets 410.
    owner.get_by_role("button", name="Revoke").click()
    expect(owner.get_by_label("Public link")).to_have_count(0)
    guest.get_by_label(re.compile("Comment at the playhead")).fill("One more thing")
    with guest.expect_response(lambda r: "/review/comment/" in r.url) as posted:
        guest.get_by_role("button", name="Comment", exact=True).click()
    assert posted.value.status == 410
    assert Comment.objects.count() == 1
    assert errors == []
    owner_context.close()
    guest_context.close()
