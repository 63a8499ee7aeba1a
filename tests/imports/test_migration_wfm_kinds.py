"""The migration that names the models for the general idea keeps every row:
a Talkdesk connection stays a connection of kind Talkdesk, with its sealed
secret, agents and imports, and a part's Talkdesk import id becomes its
remote id."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("imports", "0004_history_indexes")]
AFTER = [("imports", "0005_wfm_kinds")]


@pytest.mark.django_db(transaction=True)
def test_the_rename_keeps_connections_agents_and_remote_ids():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    users = old.get_model("auth", "User")
    sam = users.objects.create(username="sam-migrated")
    talkdesk = old.get_model("imports", "TalkdeskConnection").objects.create(
        name="Acme", account="acme", region="us", client_id="portal", client_secret_encrypted="sealed-value"
    )
    old.get_model("imports", "ConnectionAgent").objects.create(
        connection=talkdesk, email="john.smith@example.com", name="John Smith", talkdesk_id="5f0a1c3e"
    )
    team = old.get_model("imports", "Team").objects.create(name="Alpha", connection=talkdesk)
    job = old.get_model("imports", "Import").objects.create(
        team=team, connection=talkdesk, account_key="us|acme", uploaded_by=sam, size=1, sha256="0" * 64, time_zone="UTC"
    )
    old.get_model("imports", "ImportPart").objects.create(
        import_job=job, number=1, account_key="us|acme", size=1, sha256="0" * 64, rows=1, talkdesk_import_id="abc-123"
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    kept = new.get_model("imports", "Connection").objects.get(name="Acme")
    assert (kept.kind, kept.account, kept.client_secret_encrypted) == ("talkdesk", "acme", "sealed-value")
    assert new.get_model("imports", "ConnectionAgent").objects.get(connection=kept).remote_id == "5f0a1c3e"
    assert new.get_model("imports", "ImportPart").objects.get(import_job_id=job.pk).remote_id == "abc-123"
    assert new.get_model("imports", "Team").objects.get(name="Alpha").connection_id == kept.pk
    assert new.get_model("imports", "Import").objects.get(pk=job.pk).published is False

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes("imports"))
