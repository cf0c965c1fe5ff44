from django.urls import path

from generations.views import clips, studio

app_name = "generations"

urlpatterns = [
    path("", studio.gallery, name="gallery"),
    path("generations/create/", studio.create, name="create"),
    path("generations/estimate/", studio.estimate, name="estimate"),
    path("generations/form/", studio.new_form, name="new_form"),
    path("generations/live/", studio.live, name="live"),
    path("generations/prompts/", studio.prompt_history, name="prompt_history"),
    path("generations/bulk/", clips.bulk, name="bulk"),
    path("generations/<uuid:pk>/", clips.detail, name="detail"),
    path("generations/<uuid:pk>/cancel/", clips.cancel, name="cancel"),
    path("generations/<uuid:pk>/rerun/", clips.rerun, name="rerun"),
    path("generations/<uuid:pk>/star/", clips.star, name="star"),
    path("generations/<uuid:pk>/delete/", clips.delete, name="delete"),
    path("generations/<uuid:pk>/iterate/<str:how>/", studio.iterate, name="iterate"),
    path("generations/<uuid:pk>/move/", clips.move, name="move"),
    path("generations/<uuid:pk>/compare/<uuid:other>/", clips.compare, name="compare"),
    path("generations/<uuid:pk>/<str:kind>/", clips.media_file, name="file"),
]
