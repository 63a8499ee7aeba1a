"""The admins' pages of the WFM connections: list, add or edit (the secret
sealed, never shown), test, and sync the agents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from imports import connection_services, selectors, services
from imports.forms import ConnectionForm, time_zone_names
from imports.models import Connection
from imports.page_lookups import require_admin
from portal.client_address import client_address


@login_required
@require_GET
def connections(request):
    require_admin(request)
    return render(request, "imports/connections.html", {"connections": selectors.connections_for_admin()})


@sensitive_post_parameters("client_secret")
@login_required
def connection_edit(request, pk=None):
    require_admin(request)
    connection = get_object_or_404(Connection, pk=pk) if pk else Connection()
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        try:
            connection_services.connection_save(
                connection=form.save(commit=False),
                client_secret=form.cleaned_data["client_secret"],
                actor=request.user,
                client_address=client_address(request),
            )
            messages.success(request, f"Connection {connection.name} saved.")
            return redirect("imports:connections")
        except services.ActionRefused as refusal:
            form.add_error("client_secret", str(refusal))
    return render(
        request,
        "imports/connection_form.html",
        {"form": form, "connection": connection, "time_zones": time_zone_names()},
    )


@login_required
@require_POST
def connection_test(request, pk):
    require_admin(request)
    connection = get_object_or_404(Connection, pk=pk)
    diagnosis, failure = None, None
    try:
        diagnosis = connection_services.connection_test(
            connection=connection, actor=request.user, client_address=client_address(request)
        )
    except services.ActionRefused as refusal:
        failure = str(refusal)
    context = {"connection": connection, "diagnosis": diagnosis, "failure": failure}
    if request.htmx:
        return render(request, "imports/connections.html#test-result", context)
    if failure:
        messages.error(request, failure)
    else:
        messages.success(request, f"Connected to {connection.where}.")
    return redirect("imports:connections")


@login_required
@require_POST
def connection_sync_agents(request, pk):
    require_admin(request)
    connection = get_object_or_404(Connection, pk=pk)
    try:
        messages.success(
            request,
            connection_services.connection_sync_agents(
                connection=connection, actor=request.user, client_address=client_address(request)
            ),
        )
    except services.ActionRefused as error:
        messages.error(request, str(error))
    return redirect(reverse("imports:connections"))
