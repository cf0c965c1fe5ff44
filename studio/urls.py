from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from generations.views import provider
from sharing import guest
from sharing import views as sharing
from studio.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("r/<str:token>/", provider.reference_file, name="reference_file"),
    path("s/<str:token>/", sharing.share_page, name="share"),
    path("s/<str:token>/embed", sharing.share_embed, name="share_embed"),
    path("s/<str:token>/review/comment/", guest.comment, name="share_comment"),
    path("s/<str:token>/review/decide/", guest.decide, name="share_decide"),
    path("s/<str:token>/<str:kind>", sharing.share_media, name="share_media"),
    path("p/<str:token>/", guest.project_page, name="project_review"),
    path("p/<str:token>/<uuid:clip>/<str:kind>", guest.project_media, name="project_review_media"),
    # Before generations: its catch-all clip-file route would take ".../share/".
    path("", include("sharing.urls")),
    path("", include("workspaces.urls")),
    path("", include("billing.urls")),
    path("", include("webhooks.urls")),
    path("", include("brandkits.urls")),
    path("", include("exports.urls")),
    path("", include("campaigns.urls")),
    path("", include("generations.urls")),
]
