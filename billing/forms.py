"""The budget form and the usage report's period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from billing.services import month_of
from workspaces.models import Project

MAX_PERIOD_DAYS = 366


class BudgetForm(forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, empty_label="Whole workspace"
    )
    amount = forms.DecimalField(
        label="Monthly budget ($)", min_value=0, max_digits=10, decimal_places=2
    )
    alert_percent = forms.IntegerField(label="Alert at (%)", min_value=1, max_value=100, initial=80)
    hard_stop = forms.BooleanField(
        label="Stop new videos when it is used up", required=False, initial=True
    )

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects.filter(archived_at__isnull=True)


class PeriodForm(forms.Form):
    """From and to (inclusive UTC days); this month when not given."""

    start = forms.DateField(label="From", required=False)
    end = forms.DateField(label="To", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, following = month_of(timezone.now())
        data["start"] = data.get("start") or first
        data["end"] = data.get("end") or following - timedelta(days=1)
        if data["end"] < data["start"]:
            raise forms.ValidationError("The period ends before it starts.")
        if (data["end"] - data["start"]).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError("Choose a period of at most a year.")
        return data

    def period(self) -> tuple[date, date]:
        """The valid period, or this month when the input was not."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        first, following = month_of(timezone.now())
        return first, following - timedelta(days=1)
