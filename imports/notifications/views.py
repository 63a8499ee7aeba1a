from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from imports import selectors
from imports.notifications import services
from imports.notifications.forms import PreferenceForm
from imports.notifications.models import Kind
from portal.client_address import client_address


@login_required
def preferences(request):
    preference = services.preference_for(user=request.user)
    form = PreferenceForm(request.POST or None, instance=services.preference_for(user=request.user))
    if request.method == "POST" and form.is_valid():
        choices = dict(form.cleaned_data)
        if not selectors.is_admin(request.user):
            # Not shown to them: kept as it was, not switched off by its absence.
            choices[Kind.NEEDS_ATTENTION.value] = getattr(preference, Kind.NEEDS_ATTENTION.value)
        services.preference_save(user=request.user, choices=choices, client_address=client_address(request))
        messages.success(request, "Your e-mail choices are saved.")
        return redirect("notifications:preferences")
    kinds = [kind for kind in Kind if kind != Kind.NEEDS_ATTENTION or selectors.is_admin(request.user)]
    context = {
        "form": form,
        "fields": [form[kind.value] for kind in kinds],
        "mail_configured": settings.EMAIL_NOTIFICATIONS,
        "email": request.user.email,
    }
    return render(request, "notifications/preferences.html", context)
