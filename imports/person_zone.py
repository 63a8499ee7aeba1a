"""The time zone each person reads the portal's times in: their own choice,
else the zone of their team's Talkdesk connection, else the server's.

Worked out once at sign-in (and when they change it) and kept in the
session, so the pages polled every two seconds ask nothing more of the
database; the middleware makes it the zone every page's times are shown in.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

SESSION_KEY = "portal_time_zone"


def zone_for(user) -> str:
    from imports.models import PersonSettings, Team

    chosen = PersonSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if chosen:
        return chosen
    teams = Team.objects.all() if user.is_staff else Team.objects.filter(supervisors=user)
    team_zone = teams.order_by("name").values_list("connection__default_time_zone", flat=True).first()
    return team_zone or settings.TIME_ZONE


def remember(request, user) -> str:
    name = zone_for(user)
    request.session[SESSION_KEY] = name
    return name


@receiver(user_logged_in, dispatch_uid="person_zone_signed_in")
def _signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember(request, user)


class PersonTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = None
        if request.user.is_authenticated:
            name = request.session.get(SESSION_KEY) or remember(request, request.user)
            try:
                zone = zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = zoneinfo.ZoneInfo(remember(request, request.user))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def context(request) -> dict:
    """The zone's name, for the pages to say which zone their times are in."""
    return {"person_zone": timezone.get_current_timezone_name()}
