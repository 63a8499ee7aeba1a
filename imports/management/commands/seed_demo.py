"""Creates the demo teams, one connection of each kind (Talkdesk and Genesys
Cloud, both to the simulator) and logins for the embedded default.

Safe to run at every start: it only creates what is missing, and resets the
demo logins' password to the one given so the printed login always works.
"""

import json
from importlib import resources

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from imports import connection_services, services
from imports.models import Connection, Team

DEMO_ACCOUNT = "acme"
DEMO_CLIENT = "demo-portal"
GENESYS_CLIENT = "genesys-portal"
GENESYS_UNIT = "Acme Support"


def _demo_config() -> dict:
    return json.loads(resources.files("simulator").joinpath("demo_config.json").read_text(encoding="utf-8"))


class Command(BaseCommand):
    help = "Creates the demo teams, a Talkdesk and a Genesys Cloud connection (to the simulator) and logins."

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default="http://127.0.0.1:8765")
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--sync-agents", action="store_true", help="List the demo account's agents from the simulator."
        )

    @transaction.atomic
    def handle(self, *args, simulator_url, password, sync_agents, **options):
        config = _demo_config()
        account = config["accounts"][DEMO_ACCOUNT]
        client = next(c for c in account["clients"] if c["client_id"] == DEMO_CLIENT)
        connection = Connection.objects.filter(name="Demo (simulator)").first()
        if connection is None:
            connection = Connection(
                name="Demo (simulator)",
                account=DEMO_ACCOUNT,
                region=Connection.Region.CUSTOM,
                client_id=DEMO_CLIENT,
                default_time_zone="America/New_York",
                event_types=list(account["event_types"]),
            )
        connection.base_url = simulator_url
        connection_services.connection_save(connection=connection, client_secret=client["client_secret"])
        team, _ = Team.objects.get_or_create(name="Demo team", defaults={"connection": connection})
        users = get_user_model()
        planner, _ = users.objects.get_or_create(
            username="planner", defaults={"first_name": "Demo", "last_name": "Planner"}
        )
        planner.set_password(password)
        planner.save()
        team.supervisors.add(planner)
        genesys = self._genesys(config["genesys"], simulator_url)
        genesys_team, _ = Team.objects.get_or_create(
            name="Demo team (Genesys Cloud)", defaults={"connection": genesys, "publish_by_default": True}
        )
        genesys_team.supervisors.add(planner)
        admin, _ = users.objects.get_or_create(username="admin")
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        if sync_agents:
            transaction.on_commit(lambda: self._sync(connection))
            transaction.on_commit(lambda: self._sync(genesys))

    def _genesys(self, config: dict, simulator_url: str) -> Connection:
        client = next(c for c in config["clients"] if c["client_id"] == GENESYS_CLIENT)
        unit = next(u for u in config["business_units"] if u["name"] == GENESYS_UNIT)
        connection = Connection.objects.filter(name="Demo Genesys Cloud (simulator)").first()
        if connection is None:
            connection = Connection(
                name="Demo Genesys Cloud (simulator)",
                kind=Connection.Kind.GENESYS,
                region=Connection.Region.CUSTOM,
                client_id=GENESYS_CLIENT,
                business_unit_id=unit["id"],
                default_time_zone=unit["time_zone"],
            )
        connection.base_url = simulator_url
        connection_services.connection_save(connection=connection, client_secret=client["client_secret"])
        return connection

    def _sync(self, connection):
        try:
            self.stdout.write(connection_services.connection_sync_agents(connection=connection))
        except services.ActionRefused as refusal:
            self.stderr.write(f"Agents not synced: {refusal}")
