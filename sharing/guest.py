"""What a guest holding a link may do: comment on or approve the one shared clip (when the
sharer allowed it), and go through a project's clips that are In review.

A guest has no account: they give a name (and an email if they like), and their posts are
counted per link and client address, so one link cannot be used to flood a clip. A
revoked or expired link answers 410 to every request, posts included, at once.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from generations.models import Generation, ReviewStatus
from sharing import review
from sharing.models import ProjectReviewLink, ShareLink
from sharing.tokens import project_link_for_token
from sharing.views import live_link, make_private, share_context
from studio.client_ip import client_ip
from studiolib.files import serve_field_file


def allow_post(link_id: object, ip: str) -> bool:
    """Count one guest post of ``ip`` through a link; False past the limit for the window."""
    key = f"guest-posts:{link_id}:{ip}"
    cache.add(key, 0, timeout=settings.SHARE_GUEST_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add and incr: this is the first post
        cache.set(key, 1, timeout=settings.SHARE_GUEST_WINDOW_SECONDS)
        count = 1
    return count <= settings.SHARE_GUEST_POSTS_PER_WINDOW


def _guest(request: HttpRequest) -> review.Author:
    name = " ".join(request.POST.get("name", "").split())[:80]
    email = request.POST.get("email", "").strip()[:254]
    if not name:
        raise review.ReviewError("Give your name, so the team knows who wrote.")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise review.ReviewError("That email address does not look right.") from exc
    return review.Author(name=name, email=email)


def _refused(
    request: HttpRequest, link: ShareLink, token: str, message: str, status: int
) -> HttpResponse:
    context = share_context(request, link, token)
    context.update(error=message, posted=request.POST, **review.guest_context(link))
    response = render(request, "share/page.html", context, status=status)
    make_private(response, posts=True)
    return response


def _posting(request: HttpRequest, token: str, what: str) -> tuple[ShareLink, review.Author]:
    """The live link and the guest, or the answer to send instead (raised as _Answer)."""
    link = live_link(request, token)
    if isinstance(link, HttpResponse):
        raise _Answer(link)
    allowed = link.allow_comments if what == "comment" else link.allow_approval
    if not allowed:
        raise _Answer(_refused(request, link, token, f"This link does not allow {what}s.", 403))
    if not allow_post(link.pk, client_ip(request)):
        raise _Answer(
            _refused(request, link, token, "Too many posts from here; try again later.", 429)
        )
    try:
        guest = _guest(request)
    except review.ReviewError as exc:
        raise _Answer(_refused(request, link, token, str(exc), 400)) from exc
    return link, review.Author(name=guest.name, email=guest.email, link=link)


class _Answer(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


@never_cache
@require_POST
def comment(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link, author = _posting(request, token, "comment")
        review.comment_add(
            generation=link.generation,
            author=author,
            body=request.POST.get("body", ""),
            start=request.POST.get("start"),
            end=request.POST.get("end"),
            clip_url=request.build_absolute_uri(f"/generations/{link.generation_id}/"),
        )
    except _Answer as answer:
        return answer.response
    except review.ReviewError as exc:
        return _refused(request, link, token, str(exc), 400)
    return redirect(f"/s/{token}/#comments")


@never_cache
@require_POST
def decide(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link, author = _posting(request, token, "approval")
        review.status_set(generation=link.generation, to=request.POST.get("to", ""), author=author)
    except _Answer as answer:
        return answer.response
    except review.ReviewError as exc:
        return _refused(request, link, token, str(exc), 400)
    return redirect(f"/s/{token}/#review")


def _project_link(request: HttpRequest, token: str) -> ProjectReviewLink | HttpResponse:
    link = project_link_for_token(token)
    if link is None:
        raise Http404("No such link")
    if not link.is_live():
        response = render(request, "share/gone.html", status=410)
        make_private(response)
        return response
    return link


def _in_review(link: ProjectReviewLink):
    return Generation.objects.filter(
        project_id=link.project_id,
        review_status=ReviewStatus.IN_REVIEW,
        video__gt="",
    ).order_by("-created_at")


@never_cache
@require_GET
def project_page(request: HttpRequest, token: str) -> HttpResponse:
    """Every clip of the project that is In review; the list refreshes itself, so a clip
    sent for review appears (and a decided one leaves) while the client has it open."""
    link = _project_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    clips = list(_in_review(link))
    # The list is swapped only when which clips are in it changes, so a video the client is
    # watching is not reloaded under them by a refresh that brings nothing new.
    stamp = hashlib.sha256(",".join(str(g.pk) for g in clips).encode()).hexdigest()[:16]
    template = "share/project.html"
    if request.headers.get("HX-Request"):
        if request.GET.get("v") == stamp:
            return HttpResponse(status=204)
        template += "#clips"
    response = render(
        request,
        template,
        {
            "link": link,
            "token": token,
            "clips": clips,
            "stamp": stamp,
            "live_seconds": settings.STUDIO_LIVE_REFRESH_SECONDS * 2,
        },
    )
    make_private(response)
    return response


@require_GET
def project_media(request: HttpRequest, token: str, clip: object, kind: str) -> HttpResponse:
    link = _project_link(request, token)
    if isinstance(link, HttpResponse):
        return link
    generation = get_object_or_404(_in_review(link), pk=clip)
    field = {"video.mp4": generation.video, "poster.jpg": generation.poster}.get(kind)
    if not field:
        raise Http404("No such file")
    response = serve_field_file(
        request, field, filename=f"seedance-{kind}", download=False, cache_control="no-store"
    )
    make_private(response)
    return response
