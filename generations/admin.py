from django.contrib import admin
from django.utils import timezone

from generations.models import UNFINISHED, Event, Generation, Reference


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    readonly_fields = ("at", "status", "message")
    can_delete = False


class StuckFilter(admin.SimpleListFilter):
    """Unfinished generations whose next action is overdue: what an operator looks at first."""

    title = "stuck"
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue / stuck")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(
                status__in=UNFINISHED,
                next_poll_at__lt=timezone.now() - timezone.timedelta(minutes=2),
            )
        return queryset


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "model",
        "status",
        "progress",
        "created_at",
        "next_poll_at",
        "upstream_task_id",
        "error_code",
        "upstream_problem",
        "upstream_problem_since",
        "estimated_cost",
        "settled_cost",
    )
    # "upstream problem": sent generations whose polls are refused or failing right now.
    list_filter = (StuckFilter, "upstream_problem", "status", "model", "mode")
    search_fields = ("id", "upstream_task_id", "prompt", "user__username")
    readonly_fields = [f.name for f in Generation._meta.fields]
    inlines = [EventInline]
    date_hierarchy = "created_at"


@admin.register(Reference)
class ReferenceAdmin(admin.ModelAdmin):
    list_display = ("id", "generation", "role", "kind", "size", "duration")
    list_filter = ("role", "kind")
    readonly_fields = [f.name for f in Reference._meta.fields]
