"""How the New video forms gather their references: new uploads (checked by content in
``uploads``), earlier outputs reused as references and references copied by "Edit and
run" (both judged by the same rules in ``reference_checks``), with the error next to the
field and a note beside a field whose upload was converted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from generations import reference_checks
from generations.formfields import PendingReference
from generations.models import Generation, Reference
from studiolib import params, uploads


class ReferenceCollector:
    """Mixed into the New video forms (``forms.Form`` subclasses with ``clips``, ``roles``,
    ``pending`` and ``notes``)."""

    clips: QuerySet[Generation]
    roles: tuple[str, ...]
    pending: list[PendingReference]
    notes: dict[str, list[str]]
    reference_fields: list[forms.BoundField]

    def _add(self, pending: PendingReference) -> None:
        # A new upload or pick for a role replaces the references copied for that role.
        self.pending = [p for p in self.pending if not (p.copy_of and p.role == pending.role)]
        pending.position = len(self._of_role(pending.role))
        self.pending.append(pending)

    def _check(self, field: str, role: str, checker: Any, files: list[Any]) -> None:
        for uploaded in files:
            try:
                checked = checker(uploaded)
            except uploads.UploadRejected as exc:
                self.add_error(field, str(exc))
                continue
            if checked.converted_from:
                self.notes.setdefault(field, []).append(
                    f"{uploads.display_name(uploaded)} was converted to "
                    f"{checked.extension.upper()}."
                )
            self._add(PendingReference(role, 0, checked=checked, original_name=uploaded.name[:200]))

    def _reuse(self, field: str, role: str) -> None:
        """An earlier output as a reference: the same rules as an upload, checked now."""
        source = self.cleaned_data.get(field)
        if not source:
            return
        kind = self.fields[field].output_kind
        try:
            seconds = reference_checks.check_reused_output(source, kind)
        except uploads.UploadRejected as exc:
            self.add_error(field, exc.message)
            return
        self._add(
            PendingReference(role, 0, source=source, source_field=kind, known_duration=seconds)
        )

    def _copy_references(self, source_id: Any) -> None:
        if not source_id:
            return
        source = self.clips.filter(pk=source_id).first()
        if source is None:
            self.add_error("copy_references_from", "That earlier video is not available.")
            return
        for ref in source.references.filter(role__in=self.roles):
            self.pending.append(
                PendingReference(
                    ref.role, ref.position, copy_of=ref, original_name=ref.original_name
                )
            )

    def _check_copies(self) -> None:
        """Copied references still in use (not replaced by a new upload or pick) meet
        today's rules too: they were checked when uploaded, perhaps under older ones."""
        for pending in [p for p in self.pending if p.copy_of is not None]:
            try:
                reference_checks.check_copied(pending.copy_of)
            except uploads.UploadRejected as exc:
                self.add_error("copy_references_from", exc.message)
                self.pending.remove(pending)

    @property
    def copied(self) -> list[Reference]:
        """References an "Edit and run" form will reuse (shown so the user knows)."""
        source_id = params.uuid_or_none(self["copy_references_from"].value())
        if source_id is None:
            return []
        return list(
            Reference.objects.filter(
                generation__in=self.clips.filter(pk=source_id), role__in=self.roles
            )
        )

    def _of_role(self, role: str) -> list[PendingReference]:
        return [p for p in self.pending if p.role == role]

    def _require_one(self, field: str, role: str, what: str) -> None:
        related = {field, f"{field}_from"}
        if not self._of_role(role) and not related & set(self.errors):
            self.add_error(field, f"Add {what}: upload a file or pick one of your videos.")
