"""Saving a brand kit: the row, its files in storage, and an audit entry, all or nothing.

New files are saved before the transaction; if it fails they are deleted again. Files they
replace are deleted only after the commit, so a failed save never loses the old logo.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from brandkits.models import BrandKit
from workspaces.services import audit

log = logging.getLogger("brandkits")

FIELDS = (
    "brand_name",
    "logo_corner",
    "pad_colour",
    "caption_colour",
    "caption_box_colour",
    "bundled_font",
    "end_card",
    "end_card_text",
    "end_card_colour",
    "end_card_seconds",
    "end_card_logo",
    "ai_label",
    "ai_label_text",
    "file_name_template",
)


def kit_for(workspace: Any) -> BrandKit:
    """The workspace's kit, or an unsaved one with the defaults (nothing is written on a
    read)."""
    workspace_id = getattr(workspace, "pk", workspace)
    found = BrandKit.objects.filter(workspace_id=workspace_id).first()
    return found or BrandKit(workspace_id=workspace_id)


def _store(workspace_id: Any, kind: str, upload: UploadedFile, extension: str) -> str:
    name = f"workspaces/{workspace_id}/brand/{uuid.uuid4().hex}-{kind}{extension}"
    upload.seek(0)
    return default_storage.save(name, upload)


def delete_files(names: Iterable[str]) -> None:
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except OSError:
                log.warning("could not delete %s from storage", name)


def font_extension(upload: UploadedFile) -> str:
    upload.seek(0)
    return ".otf" if upload.read(4) == b"OTTO" else ".ttf"


def kit_save(
    *,
    workspace: Any,
    actor: Any,
    data: dict[str, Any],
    logo: UploadedFile | None = None,
    font: UploadedFile | None = None,
    font_family: str = "",
) -> BrandKit:
    """Save the kit from checked form data (``BrandKitForm.cleaned_data``): ``logo`` and
    ``font`` are uploads already checked; ``remove_logo``/``remove_font`` in ``data``
    drop the stored ones."""
    workspace_id = getattr(workspace, "pk", workspace)
    new: list[str] = []
    try:
        if logo is not None:
            new.append(logo_name := _store(workspace_id, "logo", logo, ".png"))
        if font is not None:
            new.append(font_name := _store(workspace_id, "font", font, font_extension(font)))
        with transaction.atomic():
            kit, _ = BrandKit.objects.select_for_update().get_or_create(workspace_id=workspace_id)
            old: list[str] = []
            changed = [f for f in FIELDS if getattr(kit, f) != data.get(f, getattr(kit, f))]
            for field in FIELDS:
                if field in data:
                    setattr(kit, field, data[field])
            if logo is not None or (data.get("remove_logo") and kit.logo):
                old.append(kit.logo.name)
                kit.logo.name = logo_name if logo is not None else ""
                changed.append("logo")
            if font is not None or (data.get("remove_font") and kit.font):
                old.append(kit.font.name)
                kit.font.name = font_name if font is not None else ""
                kit.font_family = font_family if font is not None else ""
                changed.append("font")
            kit.updated_at = timezone.now()
            kit.updated_by_id = getattr(actor, "pk", actor)
            kit.save()
            audit(
                workspace=workspace_id,
                actor=actor,
                action="brandkit.update",
                summary="Brand kit: changed " + (", ".join(changed) if changed else "nothing"),
            )
            transaction.on_commit(lambda: delete_files(old))
    except BaseException:
        delete_files(new)
        raise
    return kit


def local_copy(name: str, folder: Path, stem: str) -> Path:
    """A stored brand file copied into ``folder`` (the renderer reads plain files)."""
    target = folder / (stem + Path(name).suffix.lower())
    with default_storage.open(name, "rb") as source, target.open("wb") as dest:
        while chunk := source.read(1024 * 1024):
            dest.write(chunk)
    return target
