"""The admins' page for API keys: make one (shown once), see when each was
last used, revoke."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from imports.api import keys
from imports.api.models import SCOPE_READ, SCOPE_WRITE, ApiKey
from imports.models import Team
from imports.page_lookups import require_admin
from portal.client_address import client_address


class ApiKeyForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.all(), empty_label=None)
    name = forms.CharField(max_length=100, help_text="What the key is for, such as nightly-hris-sync.")
    scopes = forms.MultipleChoiceField(
        choices=[
            (SCOPE_READ, f"{SCOPE_READ}: read imports, findings, failed rows and reports; check files"),
            (SCOPE_WRITE, f"{SCOPE_WRITE}: upload, confirm and cancel imports"),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=[SCOPE_READ, SCOPE_WRITE],
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty for a key that does not expire.",
    )


def _keys():
    return ApiKey.objects.select_related("team", "created_by").order_by("revoked_at", "team__name", "name")


@login_required
def api_keys(request):
    require_admin(request)
    form = ApiKeyForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data["expires_on"]:
            expires_at = datetime.combine(data["expires_on"], time.max, timezone.get_current_timezone())
        try:
            api_key, key = keys.api_key_create(
                team=data["team"],
                name=data["name"],
                scopes=data["scopes"],
                expires_at=expires_at,
                actor=request.user,
                client_address=client_address(request),
            )
            # Rendered, not redirected: the key is never put in a message
            # cookie or the session.
            made = {"api_key": api_key, "key": key}
            form = ApiKeyForm()
        except keys.KeyRefused as refusal:
            form.add_error(None, str(refusal))
    return render(request, "imports/api_keys.html", {"form": form, "keys": _keys(), "made": made})


@login_required
@require_POST
def api_key_revoke(request, pk):
    require_admin(request)
    api_key = get_object_or_404(ApiKey, pk=pk)
    keys.api_key_revoke(api_key=api_key, actor=request.user, client_address=client_address(request))
    messages.success(request, f"The key {api_key.name} ({api_key.prefix}…) is revoked; it is refused from now on.")
    return redirect("imports:api_keys")
