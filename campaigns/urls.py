from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.batch_list, name="list"),
    path("campaigns/new/", views.new, name="new"),
    path("campaigns/preview/", views.preview, name="preview"),
    path("campaigns/create/", views.create, name="create"),
    path("campaigns/<uuid:pk>/", views.detail, name="detail"),
    path("campaigns/<uuid:pk>/live/", views.live, name="live"),
    path("campaigns/<uuid:pk>/finish/", views.finish, name="finish"),
    path("campaigns/<uuid:pk>/download/", views.download, name="download"),
    path("campaigns/<uuid:pk>/recipe/", views.recipe_save, name="recipe_save"),
    path("campaigns/<uuid:pk>/cells/<int:item>/retry/", views.retry, name="retry"),
    path("campaigns/recipes/<int:pk>/delete/", views.recipe_delete, name="recipe_delete"),
]
