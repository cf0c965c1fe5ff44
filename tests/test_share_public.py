"""Public share responses: never cacheable past a revoke, and one embeddable player page."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from generations.models import Status
from sharing import services as share_services
from sharing.models import ShareLink
from sharing.tokens import token_for
from tests.factories import GenerationFactory


@pytest.fixture
def token(user, local_media, no_broker) -> str:
    generation = GenerationFactory(
        user=user, status=Status.SUCCEEDED, video_width=854, video_height=480
    )
    generation.video.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"v" * 500))
    generation.poster.save("p.jpg", ContentFile(b"\xff\xd8\xff" + b"p" * 100))
    return token_for(share_services.share_create(generation=generation))


def _no_reuse(response) -> bool:
    return (
        "no-store" in response["Cache-Control"] and "max-age=3600" not in response["Cache-Control"]
    )


@pytest.mark.parametrize("suffix", ["", "embed", "video.mp4", "poster.jpg", "video.mp4?download=1"])
def test_shared_responses_do_not_outlive_a_revoke(client, token, suffix):
    url = f"/s/{token}/{suffix}"
    live = client.get(url)
    assert live.status_code == 200
    assert _no_reuse(live), live["Cache-Control"]
    share_services.share_revoke(link=ShareLink.objects.get())
    gone = client.get(url)
    assert gone.status_code == 410
    assert _no_reuse(gone), gone["Cache-Control"]


def test_shared_media_on_s3_is_not_cacheable_either(client, token, settings):
    """With S3 the share link redirects to a presigned URL: the redirect and the object's
    response (ResponseCacheControl) both say no-store."""
    from studiolib import files

    calls = {}

    class Storage:
        def url(self, name, parameters):
            calls.update(parameters)
            return "https://bucket.example/obj"

    settings.USE_S3 = True
    field = ShareLink.objects.get().generation.video
    field.storage = Storage()
    response = files.serve_field_file(
        None, field, filename="x.mp4", download=False, cache_control="no-store"
    )
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    assert calls["ResponseCacheControl"] == "no-store"


def test_only_the_embed_page_may_be_framed(client, token):
    page = client.get(f"/s/{token}/")
    embed = client.get(f"/s/{token}/embed")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert f'name="twitter:player" content="http://testserver/s/{token}/embed"' in (
        page.content.decode()
    )
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "<video" in embed.content.decode()
    # The rest of the policy stays strict on the embed page.
    assert "script-src 'self'" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" in client.get("/accounts/login/")
