"""The admins' pages for webhooks: endpoints per team (the signing secret is
shown once), every message with its attempts, Send test event, Send again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from imports.models import Team
from imports.page_lookups import require_admin
from imports.webhooks import services
from imports.webhooks.models import ALL_IMPORT_EVENTS, EVENT_CHOICES, WebhookEndpoint, WebhookMessage
from portal.client_address import client_address

MESSAGES_PER_PAGE = 25


class EndpointForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.all(), empty_label=None)
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, initial=[ALL_IMPORT_EVENTS]
    )
    description = forms.CharField(max_length=200, required=False)


def _get_endpoint_for_admin(request, pk) -> WebhookEndpoint:
    require_admin(request)
    return get_object_or_404(WebhookEndpoint.objects.select_related("team"), pk=pk)


@login_required
def endpoints(request):
    require_admin(request)
    form = EndpointForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.webhook_endpoint_create(
                team=data["team"],
                url=data["url"],
                events=data["events"],
                description=data["description"],
                actor=request.user,
                client_address=client_address(request),
            )
            # Rendered, not redirected: the secret never goes into a
            # message cookie or the session.
            made = {"endpoint": endpoint, "secret": secret}
            form = EndpointForm()
        except services.EndpointRefused as refusal:
            form.add_error("url", str(refusal))
    listed = WebhookEndpoint.objects.select_related("team").order_by("team__name", "url")
    return render(request, "imports/webhooks.html", {"form": form, "endpoints": listed, "made": made})


@login_required
@require_GET
def endpoint_detail(request, pk):
    endpoint = _get_endpoint_for_admin(request, pk)
    sent = (
        WebhookMessage.objects.filter(endpoint=endpoint)
        .select_related("import_job")
        .prefetch_related("attempt_log")
        .order_by("-created_at")
    )
    page = Paginator(sent, MESSAGES_PER_PAGE).get_page(request.GET.get("page"))
    template = "imports/webhook_detail.html#messages" if request.htmx else "imports/webhook_detail.html"
    return render(request, template, {"endpoint": endpoint, "page": page})


@login_required
@require_POST
def endpoint_test(request, pk):
    endpoint = _get_endpoint_for_admin(request, pk)
    try:
        message = services.webhook_test_send(
            endpoint=endpoint, actor=request.user, client_address=client_address(request)
        )
    except services.EndpointRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"A test event ({message.pk}) is on its way; its attempts show below.")
    return redirect("imports:webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_toggle(request, pk):
    endpoint = _get_endpoint_for_admin(request, pk)
    services.webhook_endpoint_set_active(
        endpoint=endpoint, active=not endpoint.active, actor=request.user, client_address=client_address(request)
    )
    messages.success(request, f"{endpoint.url} is {'on' if not endpoint.active else 'off'}.")
    return redirect("imports:webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def message_resend(request, pk, message_id):
    endpoint = _get_endpoint_for_admin(request, pk)
    message = get_object_or_404(endpoint.messages, pk=message_id)
    try:
        services.webhook_message_resend(message=message, actor=request.user, client_address=client_address(request))
    except services.EndpointRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{message.event_type} {message.pk} will be sent again, with the same webhook-id.")
    return redirect("imports:webhook_detail", pk=endpoint.pk)
