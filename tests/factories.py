"""factory_boy factories for the tests."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")


class GenerationFactory(factory.django.DjangoModelFactory):
    """A generation with the cheapest settings; override what a test is about."""

    class Meta:
        model = "generations.Generation"

    user = factory.SubFactory(UserFactory)
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
    return Generation.objects.bulk_create(
        [
            Generation(
                user=user,
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


def create_from_form(form):
    """Create a generation from a valid New video form, as the view does, then drop the
    form's temporary files (also when creation fails)."""
    from generations import services

    assert form.is_valid(), form.errors
    try:
        return services.generation_create(
            user=form.user, data=form.generation_data(), references=form.pending
        )
    finally:
        form.discard()
