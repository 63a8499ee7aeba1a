import pytest
from django.urls import reverse

from imports import connection_services
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

    connection_services.connection_sync_agents(connection=connected.acme)
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


def _connection_form(client, personas, **fields):
    client.force_login(personas.ada)
    data = {
        "name": "Initech",
        "account": "initech",
        "region": "custom",
        "base_url": "https://talkdesk.example.com",
        "client_id": "initech-portal",
        "client_secret": SECRET,
        "default_time_zone": "UTC",
        "default_date_format": "HH:mm yyyy-MM-dd",
        **fields,
    }
    import html

    response = client.post(reverse("imports:connection_new"), data)
    return response, html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        ("bad account!", "it holds a space, '!', and Talkdesk allows only letters, digits and hyphens"),
        ("acme.mytalkdesk.com", "it holds '.'"),
        ("-acme", "it starts or ends with a hyphen"),
        ("a" * 64, "it is 64 characters long, and Talkdesk allows at most 63"),
    ],
)
def test_an_account_name_talkdesk_does_not_allow_is_refused_where_it_is_entered(client, personas, account, reason):
    response, page = _connection_form(client, personas, account=account)
    assert response.status_code == 200
    assert f"{account!r} is not a Talkdesk account name: {reason}" in page
    assert not Connection.objects.filter(name="Initech").exists()


@pytest.mark.parametrize(
    ("base_url", "refused_for"),
    [
        ("http://talkdesk.example.com", "uses plain http"),
        ("http://10.0.0.5:8765", "uses plain http"),
        ("https://user:pass@talkdesk.example.com", "Do not put a user name or password"),
        ("https://talkdesk.example.com/?region=eu", "has a query or fragment"),
    ],
)
def test_a_base_url_is_refused_unless_https_or_plain_http_to_an_allowed_host(
    client, personas, settings, base_url, refused_for
):
    settings.TALKDESK_PLAIN_HTTP_HOSTS = frozenset({"127.0.0.1", "localhost"})
    response, page = _connection_form(client, personas, base_url=base_url)
    assert refused_for in page
    assert not Connection.objects.filter(name="Initech").exists()


def test_plain_http_to_the_simulator_on_this_machine_is_taken_only_where_allowed(client, personas, settings):
    settings.TALKDESK_PLAIN_HTTP_HOSTS = frozenset()
    _, page = _connection_form(client, personas, base_url="http://127.0.0.1:8765")
    assert "uses plain http: the client secret and tokens would travel unencrypted" in page
    settings.TALKDESK_PLAIN_HTTP_HOSTS = frozenset({"127.0.0.1"})
    response, _ = _connection_form(client, personas, base_url="http://127.0.0.1:8765/")
    assert response.status_code == 302
    assert Connection.objects.get(name="Initech").base_url == "http://127.0.0.1:8765"


def test_a_client_id_with_spaces_and_an_overlong_event_type_are_refused(client, personas):
    _, page = _connection_form(client, personas, client_id="initech portal", event_types_text="Break\n" + "x" * 201)
    assert "An OAuth client ID has no spaces" in page
    assert "Event type 2" in page and "at most 200" in page


def test_a_time_zone_only_this_machine_knows_is_refused_where_it_is_entered(client, personas):
    _, page = _connection_form(client, personas, default_time_zone="localtime")
    assert "'localtime' is not an IANA time zone" in page
    assert not Connection.objects.filter(name="Initech").exists()
