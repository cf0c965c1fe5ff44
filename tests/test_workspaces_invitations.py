"""Invitations: a signed link that works once, by email or to copy; accepting in the
browser; tampered, expired, revoked and used links; two accepts at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import Team, UserFactory
from tests.test_workspaces_members import messages_of, roles
from workspaces import members
from workspaces.invites import invitation_for_token, token_for
from workspaces.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def test_an_invitation_is_emailed_and_shown(client):
    team = Team(name="Acme")
    team.login(client, "admin")
    response = client.post(
        reverse("workspaces:invite"), {"email": "pat@example.com", "role": "reviewer"}, follow=True
    )
    invitation = Invitation.objects.get(email="pat@example.com")
    url = "http://testserver" + reverse("workspaces:accept", args=[token_for(invitation)])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.com"]
    assert "Acme" in mail.outbox[0].subject
    assert url in mail.outbox[0].body
    assert url in messages_of(response)[0]
    assert url in response.content.decode()  # the open invitations list, to copy
    assert invitation.role == "reviewer"
    expected = timezone.now() + timedelta(days=7)
    assert abs(invitation.expires_at - expected) < timedelta(minutes=1)


@override_settings(STUDIO_INVITE_DAYS=2)
def test_the_lifetime_is_a_setting():
    team = Team()
    left = team.invitation.expires_at - timezone.now()
    assert timedelta(days=1, hours=23) < left <= timedelta(days=2)


def test_an_invitation_by_link_only_sends_no_email(client):
    team = Team()
    team.login(client, "owner")
    response = client.post(reverse("workspaces:invite"), {"role": "viewer"}, follow=True)
    assert not mail.outbox
    assert "Invitation link (works once)" in messages_of(response)[0]


def test_a_bad_email_is_a_field_error(client):
    team = Team()
    team.login(client, "owner")
    before = Invitation.objects.count()
    response = client.post(reverse("workspaces:invite"), {"email": "nope", "role": "editor"})
    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"]
    assert Invitation.objects.count() == before


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_mail_server_still_gives_the_link(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    team = Team()
    team.login(client, "owner")
    response = client.post(
        reverse("workspaces:invite"), {"email": "pat@example.com", "role": "editor"}, follow=True
    )
    assert response.status_code == 200
    assert "could not be sent; pass on this link" in messages_of(response)[0]


def test_accepting_joins_with_the_role_once(client):
    team = Team(name="Acme")
    newcomer = UserFactory()
    client.force_login(newcomer)
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    page = client.get(url).content.decode()
    assert "Join Acme" in page and "<strong>editor</strong>" in page
    assert client.post(url).status_code == 302
    assert roles(team)[newcomer.username] == "editor"
    assert client.session["workspace_id"] == str(team.workspace.pk)
    team.invitation.refresh_from_db()
    assert team.invitation.accepted_by == newcomer
    client.force_login(UserFactory())
    response = client.post(url)
    assert response.status_code == 410
    assert "already used" in response.content.decode()
    assert client.get(url).status_code == 410


def test_a_member_who_accepts_just_switches(client):
    team = Team()
    team.login(client, "viewer")
    client.post(reverse("workspaces:switch", args=[team.workspace.pk]))
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    assert "already in" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert roles(team)[team.users["viewer"].username] == "viewer"  # not the invitation's
    assert Invitation.objects.get(pk=team.invitation.pk).is_open()


def test_accepting_needs_a_login_and_comes_back(client):
    team = Team()
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    login_page = client.get(url, follow=True)
    assert login_page.redirect_chain[0][0].startswith(reverse("login"))
    newcomer = UserFactory()
    response = client.post(
        login_page.redirect_chain[0][0],
        {
            "username": newcomer.username,
            "password": "correct horse battery",
            "next": login_page.context["next"],
        },
    )
    assert response["Location"] == url


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_a_closed_invitation_answers_gone(client, how):
    team = Team()
    if how == "expired":
        Invitation.objects.filter(pk=team.invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        members.invitation_revoke(invitation=team.invitation, actor=team.users["admin"])
    newcomer = UserFactory()
    client.force_login(newcomer)
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 410
        assert (
            f"was {how}" in response.content.decode() or f"has {how}" in response.content.decode()
        )
    assert newcomer.username not in roles(team)


def test_revoking_from_the_team_page(client):
    team = Team()
    team.login(client, "admin")
    client.post(reverse("workspaces:invite_revoke", args=[team.invitation.pk]))
    assert Invitation.objects.get(pk=team.invitation.pk).revoked_at is not None
    response = client.post(
        reverse("workspaces:invite_revoke", args=[team.invitation.pk]), follow=True
    )
    assert "That invitation was already used or revoked." in messages_of(response)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "0" * 32 + t[32:],
        lambda t: t.split(":")[0],
        lambda t: "garbage",
    ],
)
def test_a_tampered_token_names_nothing(client, mangle):
    team = Team()
    token = mangle(token_for(team.invitation))
    assert invitation_for_token(token) is None
    client.force_login(UserFactory())
    response = client.post(reverse("workspaces:accept", args=[token]))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_a_token_needs_the_secret_key(settings):
    team = Team()
    token = token_for(team.invitation)
    assert invitation_for_token(token) == team.invitation
    settings.SECRET_KEY = "another-key-entirely-another-key-entirely"
    assert invitation_for_token(token) is None


def test_the_database_holds_no_token():
    team = Team()
    token = token_for(team.invitation)
    signature = token.rsplit(":", 1)[1]
    row = Invitation.objects.filter(pk=team.invitation.pk).values().get()
    assert not [v for v in row.values() if signature in str(v)]


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_membership():
    team = Team()
    people = [UserFactory() for _ in range(4)]
    gate = threading.Barrier(len(people))
    outcomes: list[str] = []

    def accept(user):
        try:
            gate.wait()
            members.invitation_accept(invitation=team.invitation, user=user)
            outcomes.append("joined")
        except members.InvitationClosed:
            outcomes.append("closed")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["closed", "closed", "closed", "joined"]
    joined = Membership.objects.filter(workspace=team.workspace, user__in=people)
    assert joined.count() == 1
    assert Invitation.objects.get(pk=team.invitation.pk).accepted_by == joined.get().user


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_joins_once():
    team = Team()
    newcomer = UserFactory()
    gate = threading.Barrier(2)
    got: list[int] = []

    def accept():
        try:
            gate.wait()
            got.append(members.invitation_accept(invitation=team.invitation, user=newcomer).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 2 and got[0] == got[1]
    assert Membership.objects.filter(workspace=team.workspace, user=newcomer).count() == 1


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "console"),
        ({"EMAIL_HOST": "smtp.example.com"}, "smtp"),
        ({"EMAIL_HOST": "smtp.example.com", "DEBUG": "1"}, "console"),
    ],
)
def test_mail_goes_to_the_console_unless_a_server_is_set(env, backend):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEBUG"))}
    base.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="studio.example.com",
        **env,
    )
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"django.core.mail.backends.{backend}.EmailBackend"
