"""The studio as a person drives it in real Chromium: a form that fits the screen, files
dropped and pasted into reference slots, a gallery clip dragged into the first-frame slot,
Ctrl/Cmd+Enter, the lightbox keys, shift-click selection, recent prompts and presets.

Submissions go through the real create view; the broker is recorded instead of used
(``no_broker``), since what is checked here is what the page sends."""

from __future__ import annotations

import base64

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from generations.models import Generation, Reference, ReferenceRole, Status
from tests import media_factory as mf
from tests.browser import login
from tests.factories import GenerationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
MODES = ("text", "image", "first_last", "reference", "edit", "extend")

# Builds a DataTransfer holding the given files (base64 bytes) inside the page, as a drop
# from the desktop or a paste from the clipboard would carry them.
TRANSFER = """files => { const dt = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
    dt.items.add(new File([bytes], f.name, {type: f.type}));
  }
  return dt; }"""


def payload(name: str, data: bytes, content_type: str) -> dict:
    return {"name": name, "type": content_type, "data": base64.b64encode(data).decode()}


def finished(user, prompt: str, ratio: str = "16:9", last_frame: bool = False) -> Generation:
    size = {"16:9": (640, 360), "9:16": (360, 640), "1:1": (480, 480)}[ratio]
    generation = GenerationFactory(
        user=user,
        prompt=prompt,
        aspect_ratio=ratio,
        status=Status.SUCCEEDED,
        video_width=size[0],
        video_height=size[1],
        finished_at=timezone.now(),
    )
    generation.video.save("video.mp4", ContentFile(mf.mp4(2, f"{size[0]}x{size[1]}")), save=False)
    generation.poster.save("poster.png", ContentFile(mf.png(*size)), save=False)
    if last_frame:
        generation.last_frame.save("last.png", ContentFile(mf.png(*size)), save=False)
    generation.save()
    return generation


@pytest.fixture
def page(live_server, browser, user, local_media):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    login(tab, live_server.url, user.username, PASSWORD)
    yield tab
    context.close()


def choose_mode(page, mode: str) -> None:
    """Pick a mode and wait until the server's form for it has replaced the old one."""
    radio = page.locator(f'#new-form input[name=mode][value="{mode}"]')
    if radio.is_checked():
        return
    old = page.locator("#new-form").element_handle()
    radio.check()
    old.wait_for_element_state("hidden")  # detached: the new form is in
    page.wait_for_load_state("networkidle")
    page.locator("#estimate").wait_for()


def test_the_form_fits_a_laptop_screen_with_generate_always_visible(page):
    for mode in MODES:
        choose_mode(page, mode)
        box = page.locator("#generate").bounding_box()
        assert box and box["y"] + box["height"] <= 768, (mode, box)
        estimate = page.locator("#estimate").bounding_box()
        assert estimate and abs(estimate["y"] - box["y"]) < 40, mode  # beside Generate
        # Every ratio chip shows its whole label (the old select read "16:9 lan").
        for chip in page.locator("#new-form .ratio").all():
            assert chip.evaluate("el => el.scrollWidth <= el.clientWidth"), mode
    tiers = page.locator("#new-form .tier-card")
    assert "/s" in tiers.first.inner_text() and "480p" in tiers.first.inner_text()
    assert page.errors == []


def test_dropped_and_pasted_files_show_thumbnails_reorder_remove_and_are_sent(
    page, user, no_broker
):
    choose_mode(page, "reference")
    red, green, blue = (
        payload(f"{name}.png", mf.png(400, 300, color), "image/png")
        for name, color in (("red", (200, 0, 0)), ("green", (0, 200, 0)), ("blue", (0, 0, 200)))
    )
    slot = page.locator('.slot[data-slot="images"]')
    drop = page.evaluate_handle(TRANSFER, [red, green])
    slot.locator(".drop").dispatch_event("drop", {"dataTransfer": drop})
    assert slot.locator(".thumb-item").count() == 2
    assert slot.locator("input[type=file]").evaluate("i => i.files.length") == 2

    # A pasted image goes to the slot last used, after the dropped ones.
    page.locator("#id_prompt").fill("Three colours in a row")
    paste = page.evaluate_handle(TRANSFER, [blue])
    page.evaluate(
        """dt => document.querySelector('#id_prompt').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: dt, bubbles: true}))""",
        paste,
    )
    names = slot.locator("input[type=file]").evaluate("i => Array.from(i.files, f => f.name)")
    assert names == ["red.png", "green.png", "blue.png"]

    # Reorder (blue one step earlier) and remove (red), then a video is refused by name.
    slot.get_by_role("button", name="Move blue.png earlier").click()
    slot.get_by_role("button", name="Remove red.png").click()
    names = slot.locator("input[type=file]").evaluate("i => Array.from(i.files, f => f.name)")
    assert names == ["blue.png", "green.png"]
    assert slot.locator(".thumb-item img").count() == 2
    wav = page.evaluate_handle(TRANSFER, [payload("a.wav", mf.wav(1), "audio/wav")])
    slot.locator(".drop").dispatch_event("drop", {"dataTransfer": wav})
    assert "this slot takes an image" in slot.locator(".slot-msg").inner_text()

    page.locator("#new-form input[name=model][value='seedance2.0-480p']").check()
    page.locator("#generate").click()
    page.locator("#gallery article.card").first.wait_for()
    generation = Generation.objects.get(user=user)
    refs = list(generation.references.filter(role=ReferenceRole.IMAGE).order_by("position"))
    assert [r.original_name for r in refs] == ["blue.png", "green.png"]
    assert page.errors == []


def test_a_video_dropped_into_its_slot_shows_its_duration(page):
    choose_mode(page, "edit")
    slot = page.locator('.slot[data-slot="source_video"]')
    clip = page.evaluate_handle(TRANSFER, [payload("walk.mp4", mf.mp4(3), "video/mp4")])
    slot.locator(".drop").dispatch_event("drop", {"dataTransfer": clip})
    slot.locator(".thumb-item video").wait_for()
    page.wait_for_function(
        "() => document.querySelector('.slot .thumb-item .name').textContent.startsWith('0:03')"
    )


def test_a_gallery_clip_dragged_into_the_first_frame_slot_is_reused(page, user, no_broker):
    source = finished(user, "Sunrise over the harbour", last_frame=True)
    page.reload()
    choose_mode(page, "image")
    page.drag_and_drop(f"#card-{source.pk} .thumb", '.slot[data-slot="first_frame"] .drop')
    assert page.locator("#id_first_frame_from").input_value() == str(source.pk)
    assert page.locator('.slot[data-slot="first_frame"] .thumb-item.clip img').count() == 1
    page.locator("#id_prompt").fill("Continue the harbour at noon")
    page.locator("#id_prompt").press("Control+Enter")
    page.locator("#gallery article.card", has_text="Continue the harbour").wait_for()
    made = Generation.objects.get(prompt="Continue the harbour at noon")
    reference = Reference.objects.get(generation=made)
    assert reference.role == ReferenceRole.FIRST_FRAME
    assert reference.source_generation_id == source.pk
    assert no_broker == [str(made.pk)]
    assert page.errors == []


def test_a_clip_without_a_last_frame_is_refused_by_the_frame_slot(page, user):
    source = finished(user, "No last frame here")
    page.reload()
    choose_mode(page, "image")
    page.drag_and_drop(f"#card-{source.pk} .thumb", '.slot[data-slot="first_frame"] .drop')
    assert page.locator("#id_first_frame_from").input_value() == ""
    assert "no saved last frame" in page.locator(".slot .slot-msg").inner_text()


def test_ctrl_enter_generates_and_single_keys_never_fire_while_typing(page, user, no_broker):
    prompt = page.locator("#id_prompt")
    prompt.fill("A paper boat")
    prompt.press("?")
    prompt.press("Shift+F")
    assert not page.locator("#shortcuts").evaluate("d => d.open")
    assert prompt.input_value() == "A paper boat?F"
    prompt.press("Control+Enter")
    page.locator("#gallery article.card", has_text="A paper boat?F").wait_for()
    assert Generation.objects.filter(user=user, prompt="A paper boat?F").count() == 1
    page.locator("#id_prompt").fill("Another one")
    page.locator("#id_prompt").press("Meta+Enter")
    page.locator("#gallery article.card", has_text="Another one").wait_for()
    # The upload bar belongs to a submission: it is hidden once the request is done.
    assert page.locator("#upload-progress").is_hidden()

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("?")
    assert page.locator("#shortcuts").evaluate("d => d.open")
    assert "Ctrl" in page.locator("#shortcuts").inner_text()
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").evaluate("d => d.open")


def test_the_lightbox_moves_stars_plays_and_closes_with_keys(page, user):
    oldest = finished(user, "Oldest clip", "9:16")
    middle = finished(user, "Middle clip", "1:1")
    newest = finished(user, "Newest clip", "16:9")
    page.reload()
    assert page.locator("#gallery video").count() == 0  # no video fetched before a hover
    page.locator(f"#card-{newest.pk} .thumb").click()
    viewer = page.locator("#viewer")
    assert viewer.evaluate("d => d.open")
    assert page.locator("#viewer-title").inner_text() == "Newest clip"
    page.keyboard.press("ArrowRight")
    assert page.locator("#viewer-title").inner_text() == "Middle clip"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#viewer-title").inner_text() == "Middle clip"

    page.keyboard.press("f")
    page.locator(f"#card-{middle.pk} button.star.on").wait_for()
    middle.refresh_from_db()
    assert middle.starred
    page.locator('#viewer [data-viewer=star][aria-pressed="true"]').wait_for()

    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('#viewer-video').currentTime > 0.2")
    page.keyboard.press(" ")
    assert page.locator("#viewer-video").evaluate("v => v.paused")
    assert page.locator("#viewer-download").get_attribute("href").endswith("video/?download=1")

    page.keyboard.press("Escape")
    assert not viewer.evaluate("d => d.open")
    assert page.locator("#viewer-video").get_attribute("src") is None  # stops downloading
    oldest.refresh_from_db()
    assert not oldest.starred
    assert page.errors == []


def test_hovering_a_tile_plays_it_and_leaving_drops_the_video(page, user):
    clip = finished(user, "Hover me")
    page.reload()
    page.locator(f"#card-{clip.pk} .thumb").hover()
    page.wait_for_function(
        "() => { const v = document.querySelector('#gallery .thumb video');"
        " return v && v.currentTime > 0.1; }"
    )
    page.mouse.move(5, 5)
    assert page.locator("#gallery video").count() == 0


def test_shift_click_selects_a_range(page, user):
    clips = [finished(user, f"Clip {i}") for i in range(5)]
    page.reload()
    boxes = page.locator("#gallery input[name=ids]")
    assert boxes.count() == 5
    boxes.nth(0).click()
    boxes.nth(3).click(modifiers=["Shift"])
    checked = page.locator("#gallery input[name=ids]:checked")
    assert checked.count() == 4
    assert not boxes.nth(4).is_checked()
    boxes.nth(2).click(modifiers=["Shift"])  # unchecking a range
    assert page.locator("#gallery input[name=ids]:checked").count() == 2
    assert len(clips) == 5


def test_recent_prompts_fill_the_prompt(page, user):
    GenerationFactory(user=user, prompt="Old favourite: neon koi pond")
    GenerationFactory(user=user, prompt="Old favourite: neon koi pond")
    GenerationFactory(user=user, prompt="Foggy forest at dawn")
    page.reload()
    page.locator(".recent summary").click()
    picks = page.locator(".prompt-pick")
    picks.first.wait_for()
    assert picks.all_inner_texts() == ["Foggy forest at dawn", "Old favourite: neon koi pond"]
    page.keyboard.press("Escape")
    assert not page.locator(".recent").evaluate("d => d.open")
    page.locator(".recent summary").click()
    picks.nth(1).click()
    assert page.locator("#id_prompt").input_value() == "Old favourite: neon koi pond"


def test_a_preset_saves_every_setting_and_applies_in_one_click(page):
    choose_mode(page, "image")
    page.locator("#new-form input[name=model][value='seedance2.0-fast-480p']").check()
    page.locator("#new-form input[name=aspect_ratio][value='9:16']").check()
    page.locator("#id_duration").fill("12")
    page.locator("#new-form .switch", has_text="Watermark").click()
    page.locator("#new-form .switch", has_text="Fixed camera").click()
    page.once("dialog", lambda dialog: dialog.accept("Vertical teaser"))
    page.locator("#preset-save").click()

    page.reload()  # fresh defaults; the preset is kept in this browser
    page.locator("#id_prompt").fill("Keep this prompt")
    page.locator("#preset-pick").select_option(label="Vertical teaser")
    page.locator("#new-form input[name=mode][value=image]:checked").wait_for()
    form = page.locator("#new-form")
    assert form.locator("input[name=model]:checked").get_attribute("value") == (
        "seedance2.0-fast-480p"
    )
    assert form.locator("input[name=aspect_ratio]:checked").get_attribute("value") == "9:16"
    assert form.locator("#id_duration").input_value() == "12"
    assert form.locator("#id_watermark").is_checked()
    assert form.locator("#id_camera_fixed").is_checked()
    assert not form.locator("#id_generate_audio").is_checked()
    assert form.locator("#id_prompt").input_value() == "Keep this prompt"
    assert "12 s" in form.locator("#duration-out").inner_text()


def test_every_control_is_reached_by_keyboard_with_a_visible_focus(page, user):
    finished(user, "Tab to me")
    page.reload()
    page.locator("#id_prompt").focus()
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement;
              const ring = el.closest('label.tier-card, label.chip, label.switch') || el;
              const style = getComputedStyle(ring);
              return [el.id || el.name, style.outlineStyle, style.outlineWidth]; }"""
        )
        reached.append(focused[0])
        assert focused[1] != "none" and focused[2] != "0px", focused
        if focused[0] == "generate":
            break
    for control in ("id_model_1", "id_aspect_ratio_0", "id_duration", "id_watermark", "generate"):
        assert control in reached, reached


def test_reduced_motion_turns_hover_play_off(live_server, browser, user, local_media):
    clip = finished(user, "Calm please")
    context = browser.new_context(reduced_motion="reduce")
    tab = context.new_page()
    login(tab, live_server.url, user.username, PASSWORD)
    tab.locator(f"#card-{clip.pk} .thumb").hover()
    tab.wait_for_timeout(300)
    assert tab.locator("#gallery video").count() == 0
    duration = tab.locator(".switch .track").first.evaluate(
        "el => getComputedStyle(el).transitionDuration"
    )
    assert duration in {"0s", ""}
    context.close()
