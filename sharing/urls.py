from django.urls import path

from sharing import review_views, views

app_name = "sharing"

urlpatterns = [
    path("generations/<uuid:pk>/share/", views.create, name="create"),
    path("generations/<uuid:pk>/share/<uuid:link_id>/revoke/", views.revoke, name="revoke"),
    path("generations/<uuid:pk>/review/status/", review_views.status, name="review_status"),
    path("generations/<uuid:pk>/review/comments/", review_views.comment, name="comment"),
    path(
        "generations/<uuid:pk>/review/comments/<int:comment_id>/resolve/",
        review_views.resolve,
        name="comment_resolve",
    ),
    path("generations/<uuid:pk>/review/live/", review_views.live, name="review_live"),
    path("inbox/", review_views.inbox, name="inbox"),
    path("inbox/read/", review_views.inbox_read, name="inbox_read"),
    path(
        "projects/<uuid:pk>/review-links/",
        review_views.project_link_create,
        name="project_link_create",
    ),
    path(
        "projects/<uuid:pk>/review-links/<uuid:link_id>/revoke/",
        review_views.project_link_revoke,
        name="project_link_revoke",
    ),
]
