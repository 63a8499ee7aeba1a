"""Shared fixtures, with named people as in every test of the portal:

- Ada, an admin of the portal;
- Sam, supervisor of team Alpha (Talkdesk account acme);
- Bea, supervisor of team Bravo (Talkdesk account globex).
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.simulator",
    "tests.fixtures.stack",
    "tests.fixtures.browser",
    "tests.fixtures.smtp",
    "tests.fixtures.disk",
]

DATA = Path(__file__).parent / "data"
# A port nothing listens on: a connection that must never reach anything.
NOWHERE = "http://127.0.0.1:9"


@dataclass
class Personas:
    ada: object
    sam: object
    bea: object
    alpha: object
    bravo: object
    acme: object
    globex: object


def _simulator_client(account: str, client_id: str) -> tuple[str, str]:
    import json

    config = json.loads((DATA / "simulator.json").read_text())
    client = next(c for c in config["accounts"][account]["clients"] if c["client_id"] == client_id)
    return client["client_id"], client["client_secret"]


def _globex_client_id() -> str:
    import json

    config = json.loads((DATA / "simulator.json").read_text())
    return config["accounts"]["globex"]["clients"][0]["client_id"]


@pytest.fixture
def personas(db) -> Personas:
    from django.contrib.auth import get_user_model

    from imports.models import Connection, Team

    users = get_user_model()
    ada = users.objects.create_user("ada", password="ada-password", is_staff=True)
    sam = users.objects.create_user("sam", password="sam-password")
    bea = users.objects.create_user("bea", password="bea-password")
    connections = []
    for name, account, client_id in (("Acme", "acme", "demo-portal"), ("Globex", "globex", _globex_client_id())):
        client_id, secret = _simulator_client(account, client_id)
        connection = Connection(
            name=name,
            account=account,
            region=Connection.Region.CUSTOM,
            base_url=NOWHERE,
            client_id=client_id,
            default_time_zone="America/New_York",
        )
        connection.set_client_secret(secret)
        connection.save()
        connections.append(connection)
    acme, globex = connections
    alpha = Team.objects.create(name="Alpha", connection=acme)
    alpha.supervisors.add(sam)
    bravo = Team.objects.create(name="Bravo", connection=globex)
    bravo.supervisors.add(bea)
    return Personas(ada=ada, sam=sam, bea=bea, alpha=alpha, bravo=bravo, acme=acme, globex=globex)


@pytest.fixture
def connected(personas, simulator) -> Personas:
    """The personas, with their connections pointing at the running simulator."""
    for connection in (personas.acme, personas.globex):
        connection.base_url = simulator.base_url
        connection.save()
    return personas


def data_file(name: str) -> bytes:
    return (DATA / name).read_bytes()
