"""The one public route of the generations app: reference files the provider fetches."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from generations.references import reference_for_token
from studiolib.files import serve_field_file


@require_GET
def reference_file(request: HttpRequest, token: str) -> HttpResponse:
    """A reference file for the provider to fetch: only with a valid, unexpired signature
    naming this exact reference (generations.references.upstream_url)."""
    reference = reference_for_token(token)
    if reference is None:
        raise Http404("No such reference")
    name = f"reference.{reference.file.name.rsplit('.', 1)[-1]}"
    return serve_field_file(request, reference.file, filename=name, download=False)
