"""Share links: the member's share panel on a clip's page, and the public pages.

A public link is a capability URL (an unguessable signed token), checked on every request,
media included, so revoking a link or letting it expire takes effect at once.
"""

from __future__ import annotations

from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from generations import gate
from generations.models import Generation, Status
from generations.services import versions
from sharing import review, services
from sharing.models import ShareLink
from sharing.tokens import link_for_token, token_for
from studiolib.files import serve_field_file
from workspaces import access

_PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    # Revoked means gone: no browser or shared cache may keep a copy to replay after the
    # owner revokes the link (or it expires); every request comes back to the token check.
    "Cache-Control": "no-store",
}


def make_private(response: HttpResponse, *, posts: bool = False) -> None:
    for header, value in _PRIVATE_HEADERS.items():
        response[header] = value
    if posts:
        # A page a guest posts from: with "no-referrer" the browser sends "Origin: null" and
        # the CSRF check refuses the post; "same-origin" still gives no other site the token.
        response["Referrer-Policy"] = "same-origin"


def live_link(request: HttpRequest, token: str) -> ShareLink | HttpResponse:
    link = link_for_token(token)
    if link is None:
        raise Http404("No such link")
    if not link.is_live() or not link.generation.video:
        response = render(request, "share/gone.html", status=410)
        make_private(response)
        return response
    return link


def share_context(request: HttpRequest, link: ShareLink, token: str) -> dict[str, object]:
    base = request.build_absolute_uri(f"/s/{token}/")
    return {
        "link": link,
        "link_token": token,
        "g": link.generation,
        "gated": gate.blocked(link.generation),
        "versions": shared_versions(link.generation),
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
    link = live_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    services.share_viewed(link=link)
    context = share_context(request, link, token)
    if link.allow_comments or link.allow_approval:
        context.update(review.guest_context(link))
    response = render(request, template, context)
    make_private(response, posts=link.allow_comments or link.allow_approval)
    return response


@require_GET
def share_media(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    link = live_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    generation = link.generation
    field = {"video.mp4": generation.video, "poster.jpg": generation.poster}.get(kind)
    if not field:
        raise Http404("No such file")
    download = request.GET.get("download") == "1"
    if download and gate.blocked(generation):
        response = gate.refuse(request, gate.PUBLIC_MESSAGE, public=True)
        make_private(response)
        return response
    response = serve_field_file(
        request,
        field,
        filename=f"seedance-{kind}",
        download=download,
        cache_control=_PRIVATE_HEADERS["Cache-Control"],
    )
    make_private(response)
    return response


def shared_versions(generation: Generation) -> list[dict[str, object]]:
    """The stack as a guest may see it: only versions with a live link of their own, each
    linking to that link's page (a version never shared stays private)."""
    now = timezone.now()
    stack = versions.stack_rows(generation.stack_key).filter(shared_until__gt=now)
    shown = []
    for version in stack.order_by("version").prefetch_related("share_links"):
        live = [link for link in version.share_links.all() if link.is_live(now)]
        if version.pk == generation.pk:
            shown.append({"version": version.version, "url": None})
        elif live:
            shown.append({"version": version.version, "url": f"/s/{token_for(live[0])}/"})
    return shown if len(shown) > 1 else []


def panel_context(request: HttpRequest, generation: Generation, can: access.Can) -> dict:
    """The share panel of a clip's page (also used by ``sharing.templatetags``)."""
    links = [
        {"link": link, "url": request.build_absolute_uri(f"/s/{token_for(link)}/")}
        for link in generation.share_links.all()
    ]
    return {"g": generation, "can": can, "links": links, "gated": gate.blocked(generation)}


def _panel(request: HttpRequest, generation: Generation, can: access.Can) -> HttpResponse:
    if request.htmx:
        return render(
            request, "sharing/panel.html#share_panel", panel_context(request, generation, can)
        )
    return redirect("generations:detail", pk=generation.pk)


@login_required
@require_POST
def create(request: HttpRequest, pk: object) -> HttpResponse:
    generation, can = access.get(request, Generation, pk=pk)
    access.require(can, "share")
    if generation.status != Status.SUCCEEDED:
        raise Http404("Only finished videos can be shared")
    allow_comments = request.POST.get("allow_comments") == "1"
    allow_approval = request.POST.get("allow_approval") == "1"
    # A gated clip may still go out for review: a link on which guests comment or approve
    # is how it gets approved, and its page offers no download until then.
    if gate.blocked(generation) and not (allow_comments or allow_approval):
        return gate.refuse(request, gate.MESSAGE.format(project=generation.project.name))
    try:
        days = int(request.POST.get("expires_in_days") or 0)
    except ValueError:
        days = 0
    services.share_create(
        generation=generation,
        actor=request.user,
        show_prompt=request.POST.get("show_prompt") == "1",
        allow_comments=allow_comments,
        allow_approval=allow_approval,
        expires_in_days=max(0, min(days, 365)) or None,
    )
    return _panel(request, generation, can)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: object, link_id: object) -> HttpResponse:
    link, can = access.get(request, ShareLink, pk=link_id, generation__pk=pk)
    access.require(can, "share")
    services.share_revoke(link=link, actor=request.user)
    return _panel(request, link.generation, can)
