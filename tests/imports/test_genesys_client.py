"""The Genesys Cloud client against the simulator over real HTTP: look-ups,
the three-step import, the permission diagnosis, and each failure told
apart as the neutral errors say."""

from __future__ import annotations

import gzip
import json
import logging
import time
from datetime import date

import pytest

from imports.wfm.base import MaybeSent, NothingSent, Refused, RemoteStatus, Retryable
from imports.wfm.genesys.client import GenesysClient, gzip_json, hosts_for
from tests.simulator.test_genesys_api import ACME_UNIT, CODES, USERS, a_week, secret

MONDAY = date(2026, 6, 1)


def client_for(simulator, client_id="genesys-portal", unit=ACME_UNIT) -> GenesysClient:
    return GenesysClient(
        region="us-east-1",
        base_url=simulator.base_url,
        client_id=client_id,
        client_secret=secret(client_id),
        business_unit_id=unit,
        timeout=(2, 5),
    )


def test_each_region_signs_in_at_its_login_host():
    assert hosts_for(region="eu-west-1") == ("https://login.mypurecloud.ie/oauth/token", "https://api.mypurecloud.ie")
    assert hosts_for(region="us-west-2")[0] == "https://login.usw2.pure.cloud/oauth/token"
    with pytest.raises(ValueError, match="not a Genesys Cloud region"):
        hosts_for(region="mars-1")


def test_the_business_unit_its_codes_and_its_agents_are_read(simulator):
    client = client_for(simulator)
    unit = client.business_unit()
    assert (unit.start_day_of_week, unit.time_zone) == ("Monday", "America/New_York")
    assert {code.name: code.id for code in client.activity_codes()} == CODES
    agents = {agent.email: agent.id for agent in client.active_agents()}
    assert agents["john.smith@example.com"] == USERS["john.smith@example.com"]
    # Inactive users and users of other business units are not agents here.
    assert "tom.baker@example.com" not in agents
    assert "hank.scorpio@example.com" not in agents


def test_a_week_is_uploaded_imported_and_then_seen_as_imported(simulator):
    client = client_for(simulator)
    body = gzip_json(a_week("Portal import 7 (week of 2026-06-01)"))
    operation_id = client.upload(week=MONDAY, body=body, file_name="june.csv")
    [entry] = simulator.control.genesys_ledger()["imports"]
    assert entry["operation_id"] == operation_id
    assert json.loads(gzip.decompress(body))["description"] == entry["description"]
    deadline_status = RemoteStatus.PROCESSING
    for _ in range(100):
        deadline_status = client.status(week=MONDAY, description="Portal import 7 (week of 2026-06-01)")
        if deadline_status is RemoteStatus.IMPORTED:
            break
        time.sleep(0.05)
    assert deadline_status is RemoteStatus.IMPORTED


def test_an_invalid_schedule_is_refused_with_what_genesys_said(simulator):
    client = client_for(simulator)
    with pytest.raises(Refused) as refused:
        client.upload(week=MONDAY, body=gzip_json(a_week(code="nope")), file_name="june.csv")
    assert "activity.code.not.found" in refused.value.message
    assert refused.value.details["code"] == "invalid.schedule.upload"
    assert simulator.control.genesys_ledger()["imports"] == []


def test_a_busy_business_unit_is_retryable(simulator):
    simulator.control.set_faults(processing_forever=True)
    client = client_for(simulator)
    client.upload(week=MONDAY, body=gzip_json(a_week("one")), file_name="one.csv")
    with pytest.raises(Retryable) as busy:
        client.upload(week=MONDAY, body=gzip_json(a_week("two")), file_name="two.csv")
    assert busy.value.http_status == 409


def test_a_rate_limit_is_retryable_after_what_genesys_says(simulator):
    simulator.control.set_faults(rate_limit_burst=1, retry_after_seconds=9)
    client = client_for(simulator)
    client.sign_in()
    with pytest.raises(Retryable) as limited:
        client.activity_codes()
    assert limited.value.after == 9
    assert "300 a minute" in limited.value.message


def test_a_lost_answer_to_the_import_call_may_have_imported(simulator):
    simulator.control.set_faults(drop_after_accept=1)
    client = client_for(simulator)
    with pytest.raises(MaybeSent):
        client.upload(week=MONDAY, body=gzip_json(a_week("lost")), file_name="lost.csv")
    assert len(simulator.control.genesys_ledger()["imports"]) == 1


def test_a_closed_port_sent_nothing():
    client = GenesysClient(
        region="us-east-1", base_url="http://127.0.0.1:9", client_id="x", client_secret="y", business_unit_id="z"
    )
    with pytest.raises(NothingSent):
        client.sign_in()


def test_wrong_credentials_are_refused_plainly(simulator):
    client = GenesysClient(
        region="us-east-1",
        base_url=simulator.base_url,
        client_id="genesys-portal",
        client_secret="wrong",
        business_unit_id=ACME_UNIT,
    )
    with pytest.raises(Refused, match="did not accept the client ID genesys-portal"):
        client.sign_in()


def test_the_diagnosis_names_wfm_schedule_add_when_the_client_lacks_it(simulator):
    diagnosis = client_for(simulator, "genesys-no-schedule-add").diagnose()
    assert not diagnosis.ok
    [problem] = diagnosis.missing
    assert problem.permission == "wfm:schedule:add"
    assert "lacks the permission wfm:schedule:add" in problem.message
    assert "Admin > Roles / Permissions" in problem.message
    assert any("/api/v2/wfm/schedules/import" in note and "no" in note for note in diagnosis.notes)


def test_the_diagnosis_names_the_lookups_a_client_lacks(simulator):
    # wfm:schedule:add alone reads the business unit and its activity codes
    # (it is in their "any of" lists), but not the management units' users.
    diagnosis = client_for(simulator, "genesys-no-lookups").diagnose()
    [problem] = diagnosis.missing
    assert problem.optional
    assert "wfm:managementUnit:view" in problem.permission
    assert "any of the permissions" in problem.message and "(one of them is enough)" in problem.message
    assert diagnosis.ok


def test_a_full_client_is_diagnosed_fine(simulator):
    diagnosis = client_for(simulator).diagnose()
    assert diagnosis.ok and not diagnosis.missing


def test_an_unknown_business_unit_is_said_by_its_id(simulator):
    with pytest.raises(Refused, match="business unit id no-such-unit"):
        client_for(simulator, unit="no-such-unit").business_unit()


def test_no_log_line_holds_the_secret_the_token_or_the_upload_urls_signature(simulator, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(simulator)
    client.upload(week=MONDAY, body=gzip_json(a_week("logged")), file_name="june.csv")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "PUT /_uploads/" in logged
    assert secret("genesys-portal") not in logged
    assert "signature=" not in logged and "Bearer" not in logged
    assert client._current_token().value not in logged
    assert secret("genesys-portal") not in repr(client)
