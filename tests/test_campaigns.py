"""The campaign matrix: bad rows refused with their row and column and nothing created, the
preview's count and estimate, batches all or nothing against budgets and limits, one
submission per form, retries of one cell, and recipes."""

from __future__ import annotations

import html
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import Budget, LedgerEntry
from campaigns.models import Batch, BatchItem, BatchRow, Recipe
from campaigns.services import item_retry
from generations import services as generation_services
from generations.models import Generation, Status
from generations.services import lifecycle
from studiolib import errors
from tests.campaign_support import ROWS, TEMPLATE, batch_data, preview, submit
from tests.inprocess import due, finished_upstream
from workspaces.services import personal_workspace


@pytest.fixture
def editor(client, user):
    client.force_login(user)
    return user


def nothing_created(sim, before: dict) -> None:
    assert not Batch.objects.exists()
    assert not BatchRow.objects.exists()
    assert not Generation.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert sim.stats()["creates_total"] == before["creates_total"]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


REFUSALS = [
    pytest.param(
        {"rows_text": "hook,product\nWait for it,\nNew drop,shoes\n"},
        "Row 1, column 'product' is empty.",
        id="empty-cell",
    ),
    pytest.param(
        {"rows_text": "hook,product\nA,b\nC,d\nE,f\nG,h\nI,j\nK,l\n  ,watch\n"},
        "Row 7, column 'hook' is empty.",
        id="empty-cell-row-7",
    ),
    pytest.param(
        {"template": "{{hook}} for {{cta}}"},
        "the header line has no column 'cta'",
        id="missing-column",
    ),
    pytest.param(
        {"rows_text": "hook,hook,product\na,b,c\n"},
        "names column 'hook' twice (columns 1 and 2)",
        id="duplicate-header",
    ),
    pytest.param(
        {"rows_text": 'hook,product\nfine,shoes\n"Wait" for it,shoes\n'},
        "Row 2 (line 3) is not valid CSV",
        id="malformed",
    ),
    pytest.param(
        {"rows_text": "hook,product\nfine,shoes,extra\n"},
        "Row 1, column 3 has a value but the header line names only 2 columns.",
        id="extra-cell",
    ),
    pytest.param(
        {"rows_text": "hook,product\nfine,shoes\n" + "x" * 2100 + ",shoes\n"},
        "Row 2, column 'hook' (its longest value): the prompt made from this row is refused: "
        "Ensure this value has at most 2000 characters",
        id="prompt-too-long",
    ),
    pytest.param(
        {"rows_text": "hook,product\nfine,shoes\nalso\x00bad,shoes\n"},
        "Row 2, column 'hook' (its longest value): the prompt made from this row is refused: "
        "Null characters are not allowed.",
        id="null-character",
    ),
]


@pytest.mark.parametrize(("change", "message"), REFUSALS)
def test_bad_rows_are_refused_with_row_and_column_and_nothing_created(
    client, editor, sim, change, message
):
    before = sim.stats()
    response = preview(client, batch_data(**change))
    assert response.status_code == 200
    assert message in text_of(response)
    response = client.post(reverse("campaigns:create"), batch_data(**change, digest="x"))
    assert response.status_code == 200
    assert message in text_of(response)
    nothing_created(sim, before)


def test_a_file_that_is_not_utf8_names_where(client, editor, sim):
    before = sim.stats()
    upload = SimpleUploadedFile("rows.csv", "hook,product\nok,shoes\nCafé,hats\n".encode("cp1252"))
    response = preview(client, batch_data(rows_text="", rows_file=upload))
    assert "The file is not UTF-8 text (byte 0xE9 in row 2, column 'hook': save it as" in text_of(
        response
    )
    nothing_created(sim, before)


def test_a_utf8_file_with_a_byte_order_mark_is_read(client, editor, sim):
    upload = SimpleUploadedFile("rows.csv", ("\ufeff" + ROWS.replace("New", "Névé")).encode())
    response = preview(client, batch_data(rows_text="", rows_file=upload))
    form = response.context["form"]
    assert form.plan is not None, form.errors
    assert form.plan.table.columns == ["hook", "product"]
    assert "Névé drop: a product shot of blue jacket" in text_of(response)
    # The rows moved into the text box, so Generate sends them without the file.
    assert "Névé drop,blue jacket" in form.data["rows_text"]


def test_too_many_rows_names_the_first_row_past_the_limit(client, editor, sim, settings):
    settings.CAMPAIGN_MAX_ROWS = 2
    before = sim.stats()
    response = preview(client, batch_data())
    assert "Row 3 is past the limit of 2 rows per batch" in text_of(response)
    nothing_created(sim, before)


def test_too_large_rows_are_refused(client, editor, sim, settings):
    settings.CAMPAIGN_MAX_CSV_BYTES = 40
    before = sim.stats()
    upload = SimpleUploadedFile("rows.csv", ROWS.encode())
    response = preview(client, batch_data(rows_text="", rows_file=upload))
    assert "a batch takes at most 0 KB" in text_of(response)
    response = preview(client, batch_data())
    assert "a batch takes at most 0 KB" in text_of(response)
    nothing_created(sim, before)


def test_an_upload_refused_while_it_streams_is_said_and_nothing_made(client, editor, sim, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    before = sim.stats()
    upload = SimpleUploadedFile("rows.csv", ROWS.encode() * 20)
    response = client.post(reverse("campaigns:create"), batch_data(rows_file=upload))
    assert response.status_code == 200
    text = text_of(response)
    assert "can be sent at once." in text
    nothing_created(sim, before)


def test_a_form_token_of_another_workspace_is_refused(client, editor, sim, other_user, no_broker):
    data = batch_data()
    response = submit(client, data)
    assert response.status_code == 302
    client.force_login(other_user)
    again = submit(client, data)
    assert "This form was already used" in text_of(again)
    assert Batch.objects.count() == 1 and Generation.objects.count() == 6


def test_settings_are_checked_by_the_studio_form(client, editor, sim):
    before = sim.stats()
    response = preview(client, batch_data(duration="16", tiers=["seedance2.0-4k"]))
    text = text_of(response)
    assert "Duration can be at most 15 seconds." in text
    assert "That tier is not available in this studio." in text
    nothing_created(sim, before)


def test_the_preview_counts_and_estimates_the_batch(client, editor, sim):
    response = preview(client, batch_data())
    text = text_of(response)
    assert "3 rows × 2 formats × 1 tier = 6 generations" in text
    each = [
        lifecycle.estimate(
            data={"model": "seedance2.0-480p", "aspect_ratio": ratio, "duration": 5},
            references=[],
        )
        for ratio in ("9:16", "1:1")
    ]
    assert f"estimated <strong>${sum(each) * 3:.2f}</strong>" in text
    assert "(an estimate" in text
    assert "Stop scrolling: a product shot of a steel watch, slow camera move" in text
    assert "Generate 6 videos" in text
    assert not Generation.objects.exists()


def test_a_clean_forms_htmx_preview_sends_only_the_preview_and_its_digest(client, editor, sim):
    """The page's form showed no errors ("shown=clean"): the answer is the preview section
    and the plan's digest out of band, retargeted, without the 300-row text box again. A
    form that showed errors, or rows from an uploaded file, is drawn again whole."""
    url = reverse("campaigns:preview")
    hx = {"HX-Request": "true"}
    response = client.post(url, {**batch_data(), "shown": "clean"}, headers=hx)
    text = text_of(response)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#preview" and response["HX-Reswap"] == "outerHTML"
    assert "= 6 generations" in text and 'id="builder"' not in text
    digest = preview(client, batch_data()).context["form"].plan.digest
    assert f'name="digest" id="id_digest" value="{digest}" hx-swap-oob="true"' in text
    # Without the mark (the form shows errors), the whole form comes back.
    whole = client.post(url, batch_data(), headers=hx)
    assert "HX-Retarget" not in whole and 'id="builder"' in text_of(whole)
    # The form now shows errors: it does not carry the mark.
    wrong = client.post(url, batch_data(rows_text="hook\n"), headers=hx)
    assert 'id="builder"' in text_of(wrong) and 'name="shown"' not in text_of(wrong)


def test_a_batch_that_passes_a_budget_creates_nothing(client, editor, sim, no_broker):
    plan = preview(client, batch_data()).context["form"].plan
    cheapest = min(plan.per_clip.values())
    workspace = personal_workspace(editor)
    # Five of the six fit; the sixth does not.
    Budget.objects.create(
        workspace=workspace, amount=(plan.total - cheapest / 2).quantize(Decimal("0.01"))
    )
    before = sim.stats()
    response = submit(client, batch_data())
    text = text_of(response)
    assert response.status_code == 200
    assert "Nothing was created. These 6 videos" in text
    assert "would pass the workspace budget" in text
    assert " by $0.0" in text or " by $0.1" in text
    nothing_created(sim, before)
    assert no_broker == []


def test_a_batch_over_the_members_spend_limit_creates_nothing(client, editor, sim, settings):
    settings.STUDIO_MAX_SPEND_PER_DAY = 1  # dollars: the six clips cost more
    before = sim.stats()
    response = submit(client, batch_data())
    text = text_of(response)
    assert "Nothing was created. These videos" in text
    assert "would take your spend today past the $1.00 limit ($0.00 used) by $" in text
    nothing_created(sim, before)


def test_a_batch_is_not_held_to_the_one_by_one_pace_limits(
    client, editor, sim, settings, django_capture_on_commit_callbacks
):
    """Six clips at once with the default five in flight and a per-minute cap below six:
    the batch is one previewed submission, so the pace limits do not refuse it."""
    settings.STUDIO_MAX_IN_FLIGHT = 5
    settings.STUDIO_MAX_PER_MINUTE = 4
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, batch_data())
    assert response.status_code == 302, text_of(response)
    assert Generation.objects.filter(status=Status.QUEUED).count() == 6


def test_submit_creates_the_batch_once_and_queues_each_clip(
    client, editor, sim, no_broker, django_capture_on_commit_callbacks
):
    data = batch_data()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, data)
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{batch.pk}/"
    assert batch.rows.count() == 3
    row = batch.rows.get(number=2)
    assert row.variables == {"hook": "Stop scrolling", "product": "a steel watch"}
    items = BatchItem.objects.filter(batch=batch).select_related("generation")
    assert sorted((i.row.number, i.aspect_ratio) for i in items) == [
        (n, r) for n in (1, 2, 3) for r in ("1:1", "9:16")
    ]
    clips = Generation.objects.all()
    assert clips.count() == 6
    assert {c.prompt for c in clips} == {r.prompt for r in batch.rows.all()}
    assert LedgerEntry.objects.count() == 6
    assert sorted(map(str, no_broker)) == sorted(str(c.pk) for c in clips)
    # The same form again (a double click, a resent POST): the same batch, nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("campaigns:create"), {**data, "digest": batch_digest(client)})
    assert len(no_broker) == 6
    assert again.status_code == 302 and again["Location"] == f"/campaigns/{batch.pk}/"
    assert Batch.objects.count() == 1 and Generation.objects.count() == 6
    assert LedgerEntry.objects.count() == 6


def batch_digest(client) -> str:
    return preview(client, batch_data()).context["form"].plan.digest


def test_a_submission_that_differs_from_its_preview_is_shown_again(client, editor, sim):
    data = batch_data()
    digest = preview(client, data).context["form"].plan.digest
    changed = {**data, "formats": ["9:16"], "digest": digest}
    response = client.post(reverse("campaigns:create"), changed)
    assert "The batch changed since its preview" in text_of(response)
    assert "3 rows × 1 format × 1 tier = 3 generations" in text_of(response)
    assert not Generation.objects.exists()


def test_a_failed_cell_is_retried_alone(client, editor, sim):
    submit(client, batch_data(rows_text="hook,product\nRetry me,a lamp\nKeep me,a chair\n"))
    batch = Batch.objects.get()
    cells = {(i.row.number, i.aspect_ratio): i for i in BatchItem.objects.filter(batch=batch)}
    failed = cells[(1, "9:16")]
    old = failed.generation
    lifecycle.fail(
        old.pk,
        (Status.QUEUED,),
        errors.Reason("provider_unavailable", "The provider was unavailable.", "no"),
    )
    # A cell still running cannot be retried.
    response = client.post(reverse("campaigns:retry", args=[batch.pk, cells[(2, "1:1")].pk]))
    assert response.status_code == 302
    assert Generation.objects.count() == 4
    ledger = LedgerEntry.objects.count()
    response = client.post(reverse("campaigns:retry", args=[batch.pk, failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    new = failed.generation
    assert new.pk != old.pk and failed.attempts == 2
    assert (new.prompt, new.aspect_ratio, new.model) == (old.prompt, "9:16", old.model)
    assert new.stack_key == old.stack_key and new.version == 2
    assert Generation.objects.count() == 5 and LedgerEntry.objects.count() == ledger + 1
    # It runs to the end like any clip; the other cells are untouched.
    generation_services.generation_submit(new.pk)
    new.refresh_from_db()
    finished_upstream(sim, new.upstream_task_id)
    for _ in range(3):
        due(new.pk)
        generation_services.generation_refresh(new.pk)
    new.refresh_from_db()
    assert new.status == Status.SUCCEEDED, new.error_message
    assert sim.stats()["creates_by_prompt"][new.prompt] == 1
    page = client.get(reverse("campaigns:detail", args=[batch.pk]))
    assert "1 succeeded" in text_of(page)


def test_a_retry_is_checked_against_the_budget(client, editor, sim):
    submit(client, batch_data(rows_text="hook,product\nRetry me,a lamp\n", formats=["9:16"]))
    item = BatchItem.objects.select_related("generation").get()
    lifecycle.fail(
        item.generation.pk,
        (Status.QUEUED,),
        errors.Reason("provider_unavailable", "The provider was unavailable.", "no"),
    )
    Budget.objects.create(workspace=personal_workspace(editor), amount=Decimal("0.01"))
    with pytest.raises(Exception, match="would pass the workspace budget"):
        item_retry(item=item, user=editor)
    assert Generation.objects.count() == 1


def test_a_recipe_round_trip(client, editor, sim, no_broker):
    submit(client, batch_data(tiers=["seedance2.0-480p", "seedance2.0-fast-480p"], seed="42"))
    batch = Batch.objects.get()
    response = client.post(reverse("campaigns:recipe_save", args=[batch.pk]), {"name": "Hooks"})
    assert response.status_code == 302
    recipe = Recipe.objects.get()
    assert (recipe.template, recipe.columns) == (TEMPLATE, ["hook", "product"])
    assert recipe.formats == ["9:16", "1:1"] and recipe.settings["seed"] == 42
    listed = client.get(reverse("campaigns:list"))
    assert "New batch from recipe" in text_of(listed)
    page = client.get(reverse("campaigns:new") + f"?recipe={recipe.pk}")
    form = page.context["form"]
    assert form.initial["template"] == TEMPLATE
    assert form.initial["rows_text"] == "hook,product\n"
    assert form.initial["tiers"] == ["seedance2.0-480p", "seedance2.0-fast-480p"]
    assert form.initial["seed"] == 42
    # The same name twice is refused with a sentence.
    again = client.post(
        reverse("campaigns:recipe_save", args=[batch.pk]), {"name": "hooks"}, follow=True
    )
    assert "already has a recipe named" in text_of(again)
    assert Recipe.objects.count() == 1


def test_the_list_page_reads_a_few_queries(client, editor, sim, django_assert_max_num_queries):
    for _ in range(3):
        submit(client, batch_data(token=str(uuid.uuid4())))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("campaigns:list"))
    assert text_of(response).count("0 of 6") == 3
