"""factory_boy factories for the tests."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")


def _personal(user):
    from workspaces.services import personal_workspace

    return personal_workspace(user)


def _default_project(workspace):
    from workspaces.services import default_project

    return default_project(workspace)


class GenerationFactory(factory.django.DjangoModelFactory):
    """A generation with the cheapest settings; override what a test is about."""

    class Meta:
        model = "generations.Generation"

    user = factory.SubFactory(UserFactory)
    workspace = factory.LazyAttribute(lambda o: _personal(o.user))
    project = factory.LazyAttribute(lambda o: _default_project(o.workspace))
    model = "seedance2.0-480p"
    prompt = factory.Sequence(lambda n: f"clip {n}")
    duration = 5
    aspect_ratio = "16:9"
    seed = 1


def running_generations(user, count: int) -> list:
    """``count`` generations that stay "running" for two hours (no worker needed)."""
    from datetime import timedelta

    from django.utils import timezone

    from generations.models import Generation, Status

    far = timezone.now() + timedelta(hours=2)
    project = _default_project(_personal(user))
    return Generation.objects.bulk_create(
        [
            Generation(
                user=user,
                workspace_id=project.workspace_id,
                project=project,
                model="seedance2.0-480p",
                prompt=f"running {i}",
                duration=5,
                aspect_ratio="16:9",
                seed=i,
                status=Status.RUNNING,
                progress=30,
                next_poll_at=far,
                deadline_at=far,
            )
            for i in range(count)
        ]
    )


def scoped(user) -> dict:
    """What a New video form gets from workspaces.access for ``user`` in their personal
    workspace: its clips to reuse and its projects."""
    from generations.models import Generation
    from workspaces.models import Project

    workspace = _personal(user)
    return {
        "clips": Generation.objects.filter(workspace=workspace),
        "projects": Project.objects.filter(workspace=workspace),
    }


def workspace_of(user):
    """The user's personal workspace and its default project (where their clips land)."""
    workspace = _personal(user)
    return workspace, _default_project(workspace)


def clips_of(user):
    """The clips of the user's personal workspace, as ``workspaces.access.scope`` gives them."""
    from generations.models import Generation

    return Generation.objects.filter(workspace=_personal(user))


def create_from_form(form, user):
    """Create a generation from a valid New video form, as the view does, then drop the
    form's temporary files (also when creation fails)."""
    from generations import services

    assert form.is_valid(), form.errors
    try:
        return services.generation_create(
            user=user,
            data=form.generation_data(),
            references=form.pending,
            project=form.cleaned_data.get("project"),
        )
    finally:
        form.discard()


class Team:
    """A team workspace with one member of each role, one more editor to act on
    (``target``), an outsider, a project and an open invitation."""

    ROLES = ("owner", "admin", "editor", "reviewer", "viewer")

    def __init__(self, name: str = "Acme") -> None:
        from workspaces import members, services
        from workspaces.models import Membership

        self.users = {role: UserFactory() for role in self.ROLES}
        self.outsider = UserFactory()
        self.workspace = services.workspace_create(user=self.users["owner"], name=name)
        for role in self.ROLES[1:]:
            Membership.objects.create(workspace=self.workspace, user=self.users[role], role=role)
        self.target_user = UserFactory()
        self.target = Membership.objects.create(
            workspace=self.workspace, user=self.target_user, role="editor"
        )
        self.project = services.default_project(self.workspace)
        self.invitation = members.invitation_create(
            workspace=self.workspace,
            actor=self.users["owner"],
            email="new@example.com",
            role="editor",
        )

    def user(self, role: str):
        return self.outsider if role == "outsider" else self.users[role]

    def login(self, client, role: str):
        """Sign ``role`` in with the team as the session's workspace (an outsider's session
        names it too: they must still never reach it)."""
        client.force_login(self.user(role))
        session = client.session
        session["workspace_id"] = str(self.workspace.pk)
        session.save()
        return client
