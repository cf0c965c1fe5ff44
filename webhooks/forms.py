from __future__ import annotations

from django import forms

from webhooks import sending
from webhooks.models import EVENTS, Format


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/seedance"}),
    )
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()), widget=forms.CheckboxSelectMultiple
    )
    format = forms.ChoiceField(choices=Format.choices, initial=Format.STANDARD)

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        refused = sending.check(url)
        if refused:
            raise forms.ValidationError(f"This address cannot receive webhooks: {refused}.")
        return url
