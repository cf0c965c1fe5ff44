from django.urls import path

from workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("workspaces/new/", views.create, name="create"),
    path("workspaces/<uuid:pk>/switch/", views.switch, name="switch"),
    path("team/", views.team_settings, name="settings"),
    path("team/leave/", views.leave, name="leave"),
    path("team/invite/", views.invite, name="invite"),
    path("team/invitations/<uuid:pk>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("team/members/<int:pk>/role/", views.member_role, name="member_role"),
    path("team/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("team/members/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("team/projects/", views.projects, name="projects"),
    path("team/projects/new/", views.project_create, name="project_create"),
    path("team/projects/<uuid:pk>/rename/", views.project_rename, name="project_rename"),
    path("team/projects/<uuid:pk>/archive/", views.project_archive, name="project_archive"),
    path("team/projects/<uuid:pk>/gate/", views.project_gate, name="project_gate"),
    path("team/audit/", views.audit, name="audit"),
    path("invite/<str:token>/", views.accept, name="accept"),
]
