from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.endpoints, name="endpoints"),
    path("webhooks/add", views.endpoint_create, name="endpoint_create"),
    path("webhooks/<uuid:pk>/", views.endpoint, name="endpoint"),
    path("webhooks/<uuid:pk>/test", views.endpoint_test, name="endpoint_test"),
    path("webhooks/<uuid:pk>/delete", views.endpoint_delete, name="endpoint_delete"),
]
