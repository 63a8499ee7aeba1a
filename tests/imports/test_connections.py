from django.urls import reverse

from imports.models import Connection

SECRET = "placeholder-secret-for-tests"


def test_an_admin_adds_a_connection_whose_secret_is_stored_encrypted(client, personas):
    client.force_login(personas.ada)
    response = client.post(
        reverse("imports:connection_new"),
        {
            "name": "Initech",
            "account": "initech",
            "region": "eu",
            "client_id": "initech-portal",
            "client_secret": SECRET,
            "default_time_zone": "Europe/Lisbon",
            "default_date_format": "HH:mm dd/MM/yyyy",
            "event_types_text": "Break\nLunch\n\nBreak",
        },
    )
    assert response.status_code == 302
    connection = Connection.objects.get(name="Initech")
    assert SECRET not in connection.client_secret_encrypted
    assert connection.client_secret() == SECRET
    assert connection.event_types == ["Break", "Lunch"]


def test_the_secret_is_never_shown_again(client, personas):
    client.force_login(personas.ada)
    page = client.get(reverse("imports:connection_edit", args=[personas.acme.pk])).content.decode()
    assert personas.acme.client_secret() not in page
    assert personas.acme.client_secret_encrypted not in page
    assert "never shown" in page


def test_saving_without_a_new_secret_keeps_the_old_one(client, personas):
    client.force_login(personas.ada)
    before = personas.acme.client_secret()
    client.post(
        reverse("imports:connection_edit", args=[personas.acme.pk]),
        {
            "name": "Acme",
            "account": "acme",
            "region": "custom",
            "base_url": "http://127.0.0.1:9",
            "client_id": "demo-portal",
            "client_secret": "",
            "default_time_zone": "UTC",
            "default_date_format": "HH:mm yyyy-MM-dd",
        },
    )
    personas.acme.refresh_from_db()
    assert personas.acme.default_time_zone == "UTC"
    assert personas.acme.client_secret() == before


def test_a_custom_region_needs_its_base_url_and_a_bad_time_zone_is_named(client, personas):
    client.force_login(personas.ada)
    response = client.post(
        reverse("imports:connection_new"),
        {
            "name": "X",
            "account": "x",
            "region": "custom",
            "client_id": "c",
            "client_secret": "s",
            "default_time_zone": "Mars/Olympus",
            "default_date_format": "HH:mm yyyy-MM-dd",
        },
    )
    page = response.content.decode()
    assert "A custom region needs its base URL." in page
    assert "is not an IANA time zone" in page


def test_testing_a_connection_lists_the_scopes_and_names_what_is_missing(client, connected, simulator):
    from tests.imports.test_delivery import _secret_of

    connected.acme.client_id = "demo-no-users"
    connected.acme.set_client_secret(_secret_of("acme", "demo-no-users"))
    connected.acme.save()
    client.force_login(connected.ada)
    response = client.post(reverse("imports:connection_test", args=[connected.acme.pk]), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "wfm-public:write" in page and "wfm-public:read" in page
    assert "users:read" in page
    assert "<html" not in page
    connected.acme.refresh_from_db()
    assert set(connected.acme.granted_scopes) == {"wfm-public:write", "wfm-public:read"}


def test_testing_a_connection_with_a_wrong_secret_says_so_without_the_secret(client, connected):
    connected.acme.set_client_secret("wrong-secret-value")
    connected.acme.save()
    client.force_login(connected.ada)
    page = client.post(
        reverse("imports:connection_test", args=[connected.acme.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "flash error" in page
    assert "wrong-secret-value" not in page


def test_syncing_agents_lists_only_active_ones(client, connected):
    client.force_login(connected.ada)
    client.post(reverse("imports:connection_sync_agents", args=[connected.acme.pk]))
    connected.acme.refresh_from_db()
    emails = set(connected.acme.agents.values_list("email", flat=True))
    assert "john.smith@example.com" in emails
    assert connected.acme.agents.filter(active=False).count() == 0
    assert connected.acme.agents_synced_at is not None


def test_syncing_agents_now_is_in_the_audit_log_like_a_test_of_the_connection(client, connected):
    from imports.models import AuditEvent

    client.force_login(connected.ada)
    client.post(reverse("imports:connection_sync_agents", args=[connected.acme.pk]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.AGENTS_SYNCED)
    assert (event.username, event.connection, event.client_address) == ("ada", connected.acme, "127.0.0.1")
    assert event.detail.endswith("active agents synced from Talkdesk.")
    page = client.get(reverse("imports:audit_log"), {"action": "agents_synced"}).content.decode()
    assert "Synced a connection&#x27;s agents" in page


def test_synced_agents_catch_unknown_emails_in_the_preview(client, connected):
    from imports import services
    from tests.conftest import data_file

    services.connection_sync_agents(connection=connected.acme)
    job = services.import_create(
        team=connected.alpha,
        uploaded_by=connected.sam,
        file_name="w.csv",
        data=data_file("portal/schedule-unknown-agents.csv"),
        time_zone="UTC",
        date_format=None,
    )
    rows = sorted(problem["row"] for problem in job.errors)
    assert rows == [4, 6]
