from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("exports/clip/<uuid:pk>/", views.clip_exports, name="list"),
    path("exports/clip/<uuid:pk>/new/", views.create, name="create"),
    path("exports/<uuid:pk>/<str:kind>", views.export_file, name="file"),
]
