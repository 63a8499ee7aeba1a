"""Makes an API key for a team and prints it, once: for scripts and the
README's example. Admins can do the same on the API keys page."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from imports.api.keys import KeyRefused, api_key_create
from imports.api.models import SCOPES
from imports.models import Team


class Command(BaseCommand):
    help = "Makes an API key for a team and prints it; the key is not stored and cannot be shown again."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True, help="The team's name, as on the Teams page.")
        parser.add_argument("--name", required=True, help="What the key is for, such as nightly.")
        parser.add_argument("--scope", action="append", choices=SCOPES, required=True, help="Repeat for each scope.")
        parser.add_argument("--expires-in-days", type=int, help="Default: the key does not expire.")

    def handle(self, *args, team, name, scope, expires_in_days, **options):
        found = Team.objects.filter(name=team).first()
        if found is None:
            names = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No team named {team!r}. Teams: {names}.")
        if expires_in_days is not None and expires_in_days < 1:
            raise CommandError("--expires-in-days must be 1 or more.")
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            api_key, key = api_key_create(team=found, name=name, scopes=scope, expires_at=expires_at)
        except KeyRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stderr.write(
            f"API key {api_key.name} ({api_key.prefix}…) for team {found.name}, scopes {' '.join(api_key.scopes)}"
            + (f", expires {expires_at:%Y-%m-%d}" if expires_at else "")
            + ". It is shown only now; keep it in your job's secret store."
        )
        self.stdout.write(key)
