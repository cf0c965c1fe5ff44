from django.contrib import admin

from exports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    """Read-only: exports change state only through exports.services and the render."""

    list_display = ("id", "preset", "status", "progress", "attempts", "created_at", "finished_at")
    list_filter = ("status", "preset")
    search_fields = ("id", "generation__id")
    raw_id_fields = ("workspace", "generation", "requested_by")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
