from django.contrib import admin

from brandkits.models import BrandKit


@admin.register(BrandKit)
class BrandKitAdmin(admin.ModelAdmin):
    """Read-only: a kit's files are saved and replaced by brandkits.services only."""

    list_display = ("workspace", "brand_name", "updated_at")
    raw_id_fields = ("workspace", "updated_by")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
