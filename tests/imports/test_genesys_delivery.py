"""A Genesys Cloud connection behind the same upload, checks, queue and
delivery as Talkdesk, against the simulator over real HTTP: the file is
checked against the business unit's users and activity codes, cut into its
weeks, sent one import per week, and followed until each week's schedule
is there."""

from __future__ import annotations

import gzip
import json
import time
from datetime import date

import pytest

from imports import connection_services, delivery, services
from imports.models import Connection, Team
from imports.states import ImportState, PartState
from tests.simulator.test_genesys_api import ACME_UNIT, USERS, secret

HEADER = "Agent Name,Agent Email,Start Time,End Time,Event Type Name"
TWO_WEEKS = (
    f"{HEADER}\r\n"
    "John Smith,john.smith@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
    "John Smith,john.smith@example.com,12:00 2026-06-01,12:30 2026-06-01,Break\r\n"
    "Jane Doe,jane.doe@example.com,08:00 2026-06-02,16:00 2026-06-02,Available for all channels\r\n"
    "Jane Doe,jane.doe@example.com,08:00 2026-06-09,16:00 2026-06-09,Available for all channels\r\n"
).encode()


def genesys_connection(simulator, client_id: str = "genesys-portal") -> Connection:
    connection = Connection(
        name=f"Genesys {client_id}",
        kind=Connection.Kind.GENESYS,
        region=Connection.Region.CUSTOM,
        base_url=simulator.base_url,
        client_id=client_id,
        business_unit_id=ACME_UNIT,
        default_time_zone="America/New_York",
    )
    return connection_services.connection_save(connection=connection, client_secret=secret(client_id))


@pytest.fixture
def genesys_team(personas, simulator) -> Team:
    connection = genesys_connection(simulator)
    connection_services.connection_sync_agents(connection=connection)
    team = Team.objects.create(name="Gamma", connection=connection, publish_by_default=True)
    team.supervisors.add(personas.sam)
    return team


def upload(team, personas, data=TWO_WEEKS, **options):
    return services.import_create(
        team=team,
        uploaded_by=personas.sam,
        file_name="june.csv",
        data=data,
        time_zone="America/New_York",
        date_format=None,
        **options,
    )


def test_syncing_keeps_the_units_agents_activity_codes_and_weeks(genesys_team):
    connection = genesys_team.connection
    connection.refresh_from_db()
    assert connection.business_unit_name == "Acme Support"
    assert (connection.week_starts_on, connection.business_unit_time_zone) == ("Monday", "America/New_York")
    assert "Break" in connection.activity_codes
    assert connection.agents.get(email="john.smith@example.com").remote_id == USERS["john.smith@example.com"]
    assert connection.account_key == f"genesys|{connection.base_url}|{ACME_UNIT}"


def test_a_file_is_cut_into_the_business_units_weeks(genesys_team, personas):
    job = upload(genesys_team, personas)
    assert job.error_count == 0, job.findings
    parts = list(job.parts.order_by("number"))
    assert [p.week_start for p in parts] == [date(2026, 6, 1), date(2026, 6, 8)]
    assert [p.rows for p in parts] == [3, 1]
    first = json.loads(gzip.decompress(parts[0].content.open("rb").read()))
    assert first["published"] is True  # the team's default
    assert first["description"] == parts[0].label
    assert len(first["agentSchedules"]) == 2


def test_the_uploader_may_choose_a_draft_over_the_teams_default(genesys_team, personas):
    job = upload(genesys_team, personas, published=False)
    first = json.loads(gzip.decompress(job.parts.first().content.open("rb").read()))
    assert first["published"] is False


def test_agents_and_event_types_are_checked_against_the_business_unit(genesys_team, personas):
    data = (
        f"{HEADER}\r\n"
        "Hank Scorpio,hank.scorpio@example.com,09:00 2026-06-01,17:00 2026-06-01,Available for all channels\r\n"
        "John Smith,john.smith@example.com,12:00 2026-06-01,12:30 2026-06-01,Brake\r\n"
    ).encode()
    job = upload(genesys_team, personas, data=data)
    messages = [e["message"] for e in job.errors]
    assert any(
        "hank.scorpio@example.com is not an active agent of this Genesys Cloud business unit" in m for m in messages
    )
    assert any(
        "'Brake' is not an activity code of this Genesys Cloud business unit. Did you mean 'Break'?" in m
        for m in messages
    )
    assert not job.parts.exists()


def test_each_week_is_sent_and_followed_until_imported_with_one_ledger_entry_per_week(
    genesys_team, personas, simulator
):
    job = upload(genesys_team, personas)
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=True)
    for _ in range(2):
        delivery.account_advance(account_key=job.account_key)
        _follow_one(job)
    job.refresh_from_db()
    assert job.state == ImportState.IMPORTED
    ledger = simulator.control.genesys_ledger(ACME_UNIT)["imports"]
    assert [entry["week_id"] for entry in ledger] == ["2026-06-01", "2026-06-08"]
    assert [entry["sha256"] for entry in ledger] == [p.sha256 for p in job.parts.order_by("number")]
    assert {p.remote_id for p in job.parts.all()} == {entry["operation_id"] for entry in ledger}


def _follow_one(job):
    part = job.parts.get(state=PartState.PROCESSING)
    for _ in range(100):
        delivery.part_poll(part_id=part.pk)
        part.refresh_from_db()
        if part.state != PartState.PROCESSING:
            return
        part.next_poll_at = None
        part.save(update_fields=["next_poll_at"])
        time.sleep(0.1)
    raise AssertionError("the week was not imported")


def test_a_week_already_holding_a_schedule_is_said_before_sending(genesys_team, personas, simulator):
    first = upload(genesys_team, personas)
    services.import_confirm(job=first, actor=personas.sam, warnings_acknowledged=True)
    delivery.account_advance(account_key=first.account_key)
    _follow_one(first)
    again = upload(genesys_team, personas)
    warnings = [w["message"] for w in again.warnings]
    assert any("The week of Monday 2026-06-01 already holds the schedule" in w for w in warnings)


def test_the_diagnosis_names_wfm_schedule_add_for_a_client_without_it(personas, simulator):
    connection = genesys_connection(simulator, "genesys-no-schedule-add")
    diagnosis = connection_services.connection_test(connection=connection, actor=personas.ada)
    assert [p.permission for p in diagnosis.missing] == ["wfm:schedule:add"]
    assert "lacks the permission wfm:schedule:add" in diagnosis.missing[0].message
    assert any("/api/v2/wfm/schedules/import" in note for note in diagnosis.notes)
    connection.refresh_from_db()
    # The look-ups it may make are kept all the same.
    assert connection.week_starts_on == "Monday"


def test_a_rate_limited_send_waits_for_retry_after(genesys_team, personas, simulator):
    job = upload(genesys_team, personas)
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=True)
    simulator.control.set_faults(rate_limit_burst=2, retry_after_seconds=30)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get(number=1)
    assert part.state == PartState.WAITING
    assert 30 <= (part.not_before - part.state_changed_at).total_seconds() <= 32
    assert "300 a minute" in part.message
    assert simulator.control.genesys_ledger()["imports"] == []


def test_a_lost_answer_to_the_import_call_needs_a_person(genesys_team, personas, simulator):
    job = upload(genesys_team, personas)
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=True)
    simulator.control.set_faults(drop_after_accept=1)
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get(number=1)
    assert part.state == PartState.NEEDS_ATTENTION
    assert "Check the week's schedules in Genesys Cloud" in part.message
    assert len(simulator.control.genesys_ledger()["imports"]) == 1


def test_the_import_page_speaks_of_genesys_cloud_and_never_of_talkdesk(genesys_team, personas, simulator, client):
    simulator.control.set_faults(processing_forever=True)
    job = upload(genesys_team, personas)
    services.import_confirm(job=job, actor=personas.sam, warnings_acknowledged=True)
    delivery.account_advance(account_key=job.account_key)
    client.force_login(personas.sam)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Genesys Cloud is processing" in page
    assert "Genesys Cloud business unit Acme Support" in page
    assert "Talkdesk" not in page
    history = client.get("/imports/").content.decode()
    assert "Genesys Cloud is processing" in history and "Talkdesk" not in history
