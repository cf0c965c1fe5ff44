from django.urls import path

from sharing import views

app_name = "sharing"

urlpatterns = [
    path("generations/<uuid:pk>/share/", views.create, name="create"),
    path("generations/<uuid:pk>/share/<uuid:link_id>/revoke/", views.revoke, name="revoke"),
]
