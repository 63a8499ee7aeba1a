"""Seals every stored Talkdesk client secret and webhook signing secret again under the first key of
PORTAL_ENCRYPTION_KEYS.

To rotate: put a new key first and keep the old one after it, restart, run
this, then drop the old key. Until it runs, the old key still opens the
secrets it sealed, so nothing stops working in between.
"""

from django.core.management.base import BaseCommand, CommandError

from imports import connection_services
from imports.webhooks.services import webhook_secrets_reseal


class Command(BaseCommand):
    help = "Re-encrypts every stored client secret and webhook signing secret under the first key of PORTAL_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        resealed, unreadable = connection_services.connection_secrets_reseal()
        self.stdout.write(f"{len(resealed)} client secret(s) sealed under the first key.")
        hooks, hooks_unreadable = webhook_secrets_reseal()
        self.stdout.write(f"{hooks} webhook signing secret(s) sealed under the first key.")
        if hooks_unreadable:
            unreadable = [*unreadable, *(f"the webhook {url}" for url in hooks_unreadable)]
        if unreadable:
            raise CommandError(
                f"No configured key opens the client secret of: {', '.join(unreadable)}. "
                "Keep the old key in PORTAL_ENCRYPTION_KEYS, or have an admin enter these secrets again."
            )
