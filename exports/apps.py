from django.apps import AppConfig


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"

    def ready(self) -> None:
        from exports.selectors import stored_files
        from generations.services import library

        if stored_files not in library.CLIP_FILES:
            library.CLIP_FILES.append(stored_files)
