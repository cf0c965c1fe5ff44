from django.contrib import admin

from sharing.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("id", "generation", "created_at", "expires_at", "revoked_at", "view_count")
    list_filter = ("revoked_at",)
    readonly_fields = ("generation", "created_at", "view_count")
