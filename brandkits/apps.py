from django.apps import AppConfig


class BrandkitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "brandkits"
