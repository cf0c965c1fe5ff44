"""Storing reference files and giving the provider URLs it can fetch.

On S3 the provider gets a presigned GET URL valid until the generation's deadline (capped
at SigV4's 7 days). On local storage it gets a signed, expiring URL served by this app
under ``STUDIO_PUBLIC_URL``; the signature names the reference, so URLs cannot be guessed
or reused for another file.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from generations.formfields import PendingReference
from generations.models import Generation, Reference

log = logging.getLogger("generations")

_SALT = "generations.reference-url"
SIGV4_MAX = timedelta(days=7)
URL_MARGIN = timedelta(minutes=30)


def build_references(generation: Generation, pending: list[PendingReference]) -> list[Reference]:
    """Write each pending reference's bytes to storage; return unsaved ``Reference`` rows.

    On any failure every file written so far is deleted before the error propagates, so a
    failed submission leaves no orphans.
    """
    built: list[Reference] = []
    try:
        for item in pending:
            built.append(_store_one(generation, item))
    except BaseException:
        delete_files([ref.file.name for ref in built])
        raise
    return built


def _store_one(generation: Generation, item: PendingReference) -> Reference:
    reference = Reference(
        generation=generation,
        role=item.role,
        position=item.position,
        original_name=item.original_name,
    )
    if item.checked is not None:
        checked = item.checked
        reference.kind = checked.kind
        reference.content_type = checked.content_type
        reference.size, reference.sha256 = checked.size, checked.sha256
        reference.width, reference.height = checked.width, checked.height
        reference.duration = checked.duration
        with checked.path.open("rb") as handle:
            reference.file.save(f"{item.role}.{checked.extension}", File(handle), save=False)
        return reference
    if item.copy_of is not None:
        original = item.copy_of
        for name in (
            "kind",
            "content_type",
            "size",
            "sha256",
            "width",
            "height",
            "duration",
            "original_name",
            "source_generation_id",
        ):
            setattr(reference, name, getattr(original, name))
        with original.file.open("rb") as handle:
            reference.file.save(original.file.name.rsplit("-", 1)[-1], File(handle), save=False)
        return reference
    source = item.source
    field = source.video if item.source_field == "video" else source.last_frame
    is_video = item.source_field == "video"
    reference.kind = "video" if is_video else "image"
    reference.content_type = "video/mp4" if is_video else "image/png"
    reference.size = field.size
    reference.sha256 = source.video_sha256 if is_video else ""
    reference.width, reference.height = source.video_width, source.video_height
    reference.duration = source.video_duration if is_video else None
    reference.source_generation = source
    with field.open("rb") as handle:
        # A copy, so deleting the earlier clip never breaks this generation.
        reference.file.save(f"{item.role}.{'mp4' if is_video else 'png'}", File(handle), save=False)
    return reference


def delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # best effort; logged so an operator can clean up
            log.exception("could not delete stored file %s", name)


def upstream_url(reference: Reference, *, valid_until: Any) -> str:
    lifetime = min(max(valid_until - timezone.now(), timedelta(0)) + URL_MARGIN, SIGV4_MAX)
    if settings.USE_S3:
        return reference.file.storage.url(reference.file.name, expire=int(lifetime.total_seconds()))
    token = signing.dumps(
        {"r": str(reference.pk), "exp": int((timezone.now() + lifetime).timestamp())},
        salt=_SALT,
        compress=True,
    )
    path = reverse("reference_file", args=[token])
    return settings.STUDIO_PUBLIC_URL.rstrip("/") + path


def reference_for_token(token: str) -> Reference | None:
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if payload.get("exp", 0) < timezone.now().timestamp():
        return None
    return Reference.objects.filter(pk=payload.get("r")).first()
