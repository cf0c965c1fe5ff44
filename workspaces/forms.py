from __future__ import annotations

from django import forms

from workspaces.members import GRANTABLE
from workspaces.models import Role

ROLE_CHOICES = [(role.value, role.label) for role in GRANTABLE]


class NameForm(forms.Form):
    """A workspace's or a project's name."""

    name = forms.CharField(max_length=80, strip=True)


class InviteForm(forms.Form):
    email = forms.EmailField(
        required=False, help_text="Leave it empty to get only a link to pass on."
    )
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.EDITOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
