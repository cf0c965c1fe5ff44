"""The gate: a project may allow downloading and sharing of approved clips only.

Watching stays open to members (the clip page's player and reviews need it) and so do
existing share pages (revoking a link is how it stops); what the gate refuses is a file
sent as a download, a ZIP, and a new share link, for any clip not approved yet.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from generations.models import Generation, ReviewStatus

MESSAGE = (
    "The project {project} allows downloading and sharing approved clips only, and this "
    "clip is not approved yet. Ask a reviewer to approve it first."
)
PUBLIC_MESSAGE = "This video cannot be downloaded until it is approved."
BULK_MESSAGE = (
    "{count} of the chosen videos are not approved, and their project allows downloading "
    "approved clips only. Leave them out, or ask a reviewer to approve them first."
)


def blocked(generation: Generation) -> bool:
    """Whether the gate holds this clip back from download and sharing."""
    return generation.project.approved_only and generation.review_status != ReviewStatus.APPROVED


def blocked_count(clips: QuerySet[Generation]) -> int:
    return (
        clips.filter(project__approved_only=True)
        .exclude(review_status=ReviewStatus.APPROVED)
        .count()
    )


def refuse(request: HttpRequest, message: str, *, public: bool = False) -> HttpResponse:
    """403 with the reason in words (the public share pages have a page of their own)."""
    template = "share/refused.html" if public else "generations/refused.html"
    return render(request, template, {"message": message}, status=403)
