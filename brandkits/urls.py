from django.urls import path

from brandkits import views

app_name = "brandkits"

urlpatterns = [
    path("brand/", views.kit, name="kit"),
    path("brand/logo.png", views.logo, name="logo"),
]
