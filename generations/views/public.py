"""Pages reachable without a login: share links and the provider's reference fetches.

Both are capability URLs (an unguessable signed token); both check the token on every
request, media included, so revoking a link or letting it expire takes effect at once.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from generations.models import ShareLink
from generations.references import reference_for_token
from generations.services import library
from generations.sharing import link_for_token
from studiolib.files import serve_field_file

_PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    # Revoked means gone: no browser or shared cache may keep a copy to replay after the
    # owner revokes the link (or it expires); every request comes back to the token check.
    "Cache-Control": "no-store",
}


def _private(response: HttpResponse) -> None:
    for header, value in _PRIVATE_HEADERS.items():
        response[header] = value


def _live_link(request: HttpRequest, token: str) -> ShareLink | HttpResponse:
    link = link_for_token(token)
    if link is None:
        raise Http404("No such link")
    if not link.is_live() or not link.generation.video:
        response = render(request, "share/gone.html", status=410)
        _private(response)
        return response
    return link


def _share_context(request: HttpRequest, link: ShareLink, token: str) -> dict[str, object]:
    base = request.build_absolute_uri(f"/s/{token}/")
    return {
        "link": link,
        "g": link.generation,
        "page_url": base,
        "embed_url": base + "embed",
        "video_url": base + "video.mp4",
        "poster_url": base + "poster.jpg",
    }


@never_cache
@require_GET
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    return _shared_page(request, token, "share/page.html")


@never_cache
@require_GET
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def share_embed(request: HttpRequest, token: str) -> HttpResponse:
    """The player alone, for the ``twitter:player`` card and other embeds: the one page
    other sites may frame (every other page answers X-Frame-Options DENY and
    ``frame-ancestors 'none'``)."""
    return _shared_page(request, token, "share/embed.html")


def _shared_page(request: HttpRequest, token: str, template: str) -> HttpResponse:
    link = _live_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    library.share_viewed(link=link)
    response = render(request, template, _share_context(request, link, token))
    _private(response)
    return response


@require_GET
def share_media(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    link = _live_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    generation = link.generation
    field = {"video.mp4": generation.video, "poster.jpg": generation.poster}.get(kind)
    if not field:
        raise Http404("No such file")
    response = serve_field_file(
        request,
        field,
        filename=f"seedance-{kind}",
        download=request.GET.get("download") == "1",
        cache_control=_PRIVATE_HEADERS["Cache-Control"],
    )
    _private(response)
    return response


@require_GET
def reference_file(request: HttpRequest, token: str) -> HttpResponse:
    """A reference file for the provider to fetch: only with a valid, unexpired signature
    naming this exact reference (generations.references.upstream_url)."""
    reference = reference_for_token(token)
    if reference is None:
        raise Http404("No such reference")
    name = f"reference.{reference.file.name.rsplit('.', 1)[-1]}"
    return serve_field_file(request, reference.file, filename=name, download=False)
