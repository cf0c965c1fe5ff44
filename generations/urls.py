from django.urls import path

from generations import views

app_name = "generations"

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("generations/create/", views.create, name="create"),
    path("generations/estimate/", views.estimate, name="estimate"),
    path("generations/live/", views.live, name="live"),
    path("generations/<uuid:pk>/", views.detail, name="detail"),
    path("generations/<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("generations/<uuid:pk>/rerun/", views.rerun, name="rerun"),
    path(
        "generations/<uuid:pk>/<str:kind>/",
        views.media_file,
        name="file",
    ),
]
