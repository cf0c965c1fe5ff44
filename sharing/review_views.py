"""Review on a clip's page (status, time-coded comments and the page's one live request),
the member's inbox, and the project review links members make."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from generations import selectors
from generations.models import Generation
from sharing import review
from sharing.models import Comment, Notification, ProjectReviewLink
from sharing.tokens import project_token_for
from studiolib import params
from workspaces import access
from workspaces.models import Project


def _micros(generation: Generation) -> int:
    return selectors.micros(generation.updated_at)


def panel_context(request: HttpRequest, generation: Generation, can: access.Can) -> dict:
    """The review panel of a clip's page (also used by ``sharing.templatetags``)."""
    links = [
        {"link": link, "url": request.build_absolute_uri(f"/p/{project_token_for(link)}/")}
        for link in ProjectReviewLink.objects.filter(
            project_id=generation.project_id, revoked_at__isnull=True
        )
    ]
    return {
        "g": generation,
        "can": can,
        "moves": review.moves_for(generation.review_status, can),
        "changes": generation.review_changes.select_related("actor"),
        "comments": generation.comments.select_related("author"),
        "project_links": links,
        "review_version": _micros(generation),
        "live_seconds": settings.STUDIO_LIVE_REFRESH_SECONDS,
    }


def _back(generation: Generation) -> HttpResponse:
    return redirect(reverse("generations:detail", kwargs={"pk": generation.pk}) + "#review")


@login_required
@require_POST
def status(request: HttpRequest, pk: object) -> HttpResponse:
    generation, can = access.get(request, Generation, pk=pk)
    to = request.POST.get("to", "")
    needed = review.MOVES.get(generation.review_status, {}).get(to)
    access.require(can, needed or "comment")
    try:
        if not review.status_set(
            generation=generation, to=to, author=review.Author(user=request.user), can=can
        ):
            messages.error(request, "Someone changed the review status first; see it below.")
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    return _back(generation)


@login_required
@require_POST
def comment(request: HttpRequest, pk: object) -> HttpResponse:
    generation = access.get_for(request, Generation, "comment", pk=pk)
    try:
        review.comment_add(
            generation=generation,
            author=review.Author(user=request.user),
            body=request.POST.get("body", ""),
            start=request.POST.get("start"),
            end=request.POST.get("end"),
            clip_url=request.build_absolute_uri(
                reverse("generations:detail", kwargs={"pk": generation.pk})
            ),
        )
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    return _back(generation)


@login_required
@require_POST
def resolve(request: HttpRequest, pk: object, comment_id: int) -> HttpResponse:
    found = access.get_for(request, Comment, "comment", pk=comment_id, generation__pk=pk)
    review.comment_resolve(
        comment=found, user=request.user, resolved=request.POST.get("resolved") != "0"
    )
    return _back(found.generation)


@login_required
@require_GET
def live(request: HttpRequest, pk: object) -> HttpResponse:
    """The clip page's one live request: 204 while nothing changed since the page's token,
    otherwise the status, comments and inbox count as out-of-band swaps."""
    generation, can = access.get(request, Generation, pk=pk)
    if _micros(generation) <= params.micros(request.GET.get("v")):
        return HttpResponse(status=204)
    return render(
        request, "sharing/review.html#live_response", panel_context(request, generation, can)
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    # Only workspaces the user still belongs to: a former member keeps no window on them.
    entries = Notification.objects.filter(
        user=request.user, workspace__memberships__user=request.user
    )[:100]
    return render(request, "sharing/inbox.html", {"entries": entries})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    review.inbox_read(user=request.user)
    return redirect("sharing:inbox")


@login_required
@require_POST
def project_link_create(request: HttpRequest, pk: object) -> HttpResponse:
    project = access.get_for(request, Project, "share", pk=pk, archived_at=None)
    review.project_link_create(project=project, actor=request.user)
    return _back_to(request)


@login_required
@require_POST
def project_link_revoke(request: HttpRequest, pk: object, link_id: object) -> HttpResponse:
    link = access.get_for(request, ProjectReviewLink, "share", pk=link_id, project__pk=pk)
    review.project_link_revoke(link=link, actor=request.user)
    return _back_to(request)


def _back_to(request: HttpRequest) -> HttpResponse:
    """Back to the clip page the form was on (a clip id from the form), else the studio."""
    clip = params.uuid_or_none(request.POST.get("clip"))
    if clip is not None:
        return redirect(reverse("generations:detail", kwargs={"pk": clip}) + "#review")
    return redirect("generations:gallery")
