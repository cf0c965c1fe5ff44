"""The brand kit page: real uploads through the real form. Refusals name the field and
leave no file in storage; a saved kit stores its files per workspace, audits the change,
and a replaced file is deleted once the change commits. The file-name template's tokens."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from brandkits import naming
from brandkits.models import BrandKit
from studiolib.finishing import fonts
from tests import media_factory as mf
from workspaces.models import AuditEntry, Membership, Role
from workspaces.services import personal_workspace

URL = "/brand/"


def logo_png(alpha: bool = True, size: tuple[int, int] = (120, 60)) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", size, (255, 200, 0, 0) if alpha else (9, 9, 9))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def form(**overrides) -> dict:
    data = {
        "brand_name": "Acme Drinks",
        "logo_corner": "top_right",
        "pad_colour": "#112233",
        "caption_colour": "#FFFFFF",
        "caption_box_colour": "#000000",
        "bundled_font": "",
        "end_card": "on",
        "end_card_text": "Shop now",
        "end_card_colour": "#101010",
        "end_card_seconds": "2",
        "end_card_logo": "on",
        "ai_label": "on",
        "ai_label_text": "AI-generated",
        "file_name_template": naming.DEFAULT_TEMPLATE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def owner(client, user, local_media):
    client.force_login(user)
    return user


def test_a_kit_with_logo_and_font_is_saved_per_workspace_and_audited(client, owner, local_media):
    response = client.post(
        URL,
        form(
            logo_upload=upload("logo.png", logo_png()),
            font_upload=upload("brand.ttf", fonts.default_font().read_bytes()),
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    workspace = personal_workspace(owner)
    kit = BrandKit.objects.get(workspace=workspace)
    assert kit.brand_name == "Acme Drinks" and kit.pad_colour == "#112233"
    assert kit.font_family == "DejaVu Sans" and kit.font.name.endswith(".ttf")
    assert kit.logo.name.startswith(f"workspaces/{workspace.pk}/brand/")
    assert len(stored(local_media)) == 2
    assert AuditEntry.objects.filter(workspace=workspace, action="brandkit.update").exists()
    page = client.get(URL).content.decode()
    assert "DejaVu Sans" in page and reverse("brandkits:logo") in page
    assert client.get(reverse("brandkits:logo")).status_code == 200


@pytest.mark.parametrize(
    ("field", "overrides", "words"),
    [
        ("logo_upload", {"logo_upload": ("logo.png", mf.png(8, 8)[:40])}, "must be a PNG"),
        ("logo_upload", {"logo_upload": ("logo.png", b"GIF89a" + b"\0" * 50)}, "must be a PNG"),
        ("logo_upload", {"logo_upload": ("logo.png", logo_png(alpha=False))}, "transparency"),
        ("logo_upload", {"logo_upload": ("logo.png", logo_png(size=(5000, 10)))}, "4096"),
        ("font_upload", {"font_upload": ("brand.ttf", b"not a font at all" * 10)}, "TrueType"),
        ("font_upload", {"font_upload": ("brand.woff", b"wOFF" + b"\0" * 80)}, "web font"),
        ("pad_colour", {"pad_colour": "#12345"}, "#RRGGBB"),
        ("caption_colour", {"caption_colour": "red"}, "#RRGGBB"),
        ("file_name_template", {"file_name_template": "{brand}_{client}"}, "{client}"),
        ("file_name_template", {"file_name_template": "{brand"}, "unmatched"),
        ("file_name_template", {"file_name_template": "{brand.__class__}"}, "Unknown token"),
        ("end_card_seconds", {"end_card_seconds": "9"}, "less than or equal to 5"),
    ],
)
def test_refusals_name_the_field_and_leave_nothing(
    client, owner, local_media, field, overrides, words
):
    good = {
        "logo_upload": upload("logo.png", logo_png()),
        "font_upload": upload("brand.ttf", fonts.default_font().read_bytes()),
    }
    for key, value in overrides.items():
        good[key] = upload(*value) if isinstance(value, tuple) else value
    response = client.post(URL, form(**good))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert words in " ".join(errors[field])
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not BrandKit.objects.exists()
    assert stored(local_media) == []


def test_replacing_the_logo_deletes_the_old_file_after_commit(
    client, owner, local_media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form(logo_upload=upload("logo.png", logo_png())))
    first = BrandKit.objects.get().logo.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(URL, form(logo_upload=upload("logo.png", logo_png(size=(60, 60)))))
    second = BrandKit.objects.get().logo.name
    assert first != second
    assert (local_media / first).exists(), "kept until the change commits"
    for callback in callbacks:
        callback()
    assert not (local_media / first).exists() and (local_media / second).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form(remove_logo="on"))
    assert not BrandKit.objects.get().logo and stored(local_media) == []


def test_members_see_the_kit_and_only_admins_change_it(client, user, local_media):
    from tests.factories import UserFactory

    editor = UserFactory()
    workspace = personal_workspace(user)
    Membership.objects.create(workspace=workspace, user=editor, role=Role.EDITOR)
    client.force_login(editor)
    session = client.session
    session["workspace_id"] = str(workspace.pk)
    session.save()
    page = client.get(URL)
    assert page.status_code == 200 and "Save brand kit" not in page.content.decode()
    assert client.post(URL, form()).status_code == 403
    assert not BrandKit.objects.exists()


def test_file_names_are_safe_and_tokens_checked():
    tokens = {
        "brand": "Acme / Drinks",
        "campaign": "Été 2026",
        "row": 3,
        "ratio": "9x16",
        "date": "2026-11-30",
        "n": 2,
    }
    assert naming.file_name(naming.DEFAULT_TEMPLATE, tokens) == (
        "Acme-Drinks_Ete-2026_3_9x16_2026-11-30_v2"
    )
    # Empty tokens leave no runs of separators; nothing can climb out of a folder.
    assert naming.file_name("{campaign}__{brand}", {"brand": "../../etc"}) == "etc"
    assert naming.file_name("{campaign}", {}) == naming.FALLBACK
    assert len(naming.file_name("{brand}" * 5, {"brand": "x" * 100})) <= naming.MAX_NAME
    for bad, shown in (("{client}", "{client}"), ("{}", "{}"), ("{0}", "{0}")):
        with pytest.raises(ValidationError) as caught:
            naming.check_template(bad)
        assert shown in caught.value.messages[0]
    with pytest.raises(ValidationError, match="without a format"):
        naming.check_template("{n:>5}")
