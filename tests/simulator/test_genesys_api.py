"""The simulator's Genesys Cloud side, spoken to over real HTTP the way the
platform API is: token, look-ups, the three-step schedule import, the
errors the SDK documentation lists and the fault knobs."""

from __future__ import annotations

import gzip
import json
import time

import pytest
import requests

from tests.simulator.conftest import CONFIG

GENESYS = CONFIG["genesys"]
ACME_UNIT, GLOBEX_UNIT = (unit["id"] for unit in GENESYS["business_units"])
UNIT_PATH = f"/api/v2/workforcemanagement/businessunits/{ACME_UNIT}"
MONDAY = "2026-06-01"
USERS = {user["email"]: user["id"] for user in GENESYS["users"]}
CODES = {code["name"]: code["id"] for code in GENESYS["business_units"][0]["activity_codes"]}


def secret(client_id: str) -> str:
    return next(c["client_secret"] for c in GENESYS["clients"] if c["client_id"] == client_id)


class Genesys:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self._tokens: dict[str, str] = {}

    def token(self, client_id: str = "genesys-portal") -> str:
        if client_id not in self._tokens:
            response = requests.post(
                f"{self.base_url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret(client_id)),
                timeout=10,
            )
            assert response.status_code == 200, response.text
            self._tokens[client_id] = response.json()["access_token"]
        return self._tokens[client_id]

    def call(self, method: str, path: str, *, client_id: str = "genesys-portal", token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token or self.token(client_id)}"}
        return requests.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)

    def import_week(self, document: dict, *, week: str = MONDAY, unit_path: str = UNIT_PATH) -> requests.Response:
        body = gzip.compress(json.dumps(document).encode())
        ticket = self.call(
            "POST", f"{unit_path}/weeks/{week}/schedules/import/uploadurl", json={"contentLengthBytes": len(body)}
        )
        assert ticket.status_code == 200, ticket.text
        ticket = ticket.json()
        put = requests.put(ticket["url"], data=body, headers=ticket["headers"], timeout=10)
        assert put.status_code == 200, put.text
        return self.call("POST", f"{unit_path}/weeks/{week}/schedules/import", json={"uploadKey": ticket["uploadKey"]})


@pytest.fixture
def genesys(simulator) -> Genesys:
    return Genesys(simulator.base_url)


def a_week(
    description: str = "Week 23", *, user: str = "john.smith@example.com", code: str = "Available for all channels"
):
    return {
        "description": description,
        "weekCount": 1,
        "published": True,
        "agentSchedules": [
            {
                "userId": USERS[user],
                "shifts": [
                    {
                        "startDate": "2026-06-01T13:00:00Z",
                        "lengthMinutes": 480,
                        "activities": [
                            {
                                "startDate": "2026-06-01T13:00:00Z",
                                "lengthMinutes": 480,
                                "activityCodeId": CODES.get(code, code),
                                "description": code,
                            }
                        ],
                    }
                ],
            }
        ],
    }


def wait_for_schedule(genesys: Genesys, description: str, week: str = MONDAY) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        listed = genesys.call("GET", f"{UNIT_PATH}/weeks/{week}/schedules").json()["entities"]
        found = [s for s in listed if s["description"] == description]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no schedule {description!r} appeared")


def test_a_client_gets_a_bearer_token_with_client_credentials(simulator):
    response = requests.post(
        f"{simulator.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("genesys-portal", secret("genesys-portal")),
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    assert response.json()["expires_in"] == 600


def test_a_wrong_secret_gets_invalid_client(simulator):
    response = requests.post(
        f"{simulator.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("genesys-portal", "nope"),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", [UNIT_PATH, f"{UNIT_PATH}/activitycodes", "/api/v2/wfm/schedules/import"])
def test_an_unauthenticated_call_answers_401(simulator, path):
    response = requests.get(simulator.base_url + path, timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "bad.credentials"


def test_the_business_unit_gives_its_start_day_and_time_zone_only_when_expanded(genesys):
    plain = genesys.call("GET", UNIT_PATH).json()
    assert "settings" not in plain
    settings = genesys.call("GET", UNIT_PATH, params={"expand": "settings"}).json()["settings"]
    assert (settings["startDayOfWeek"], settings["timeZone"]) == ("Monday", "America/New_York")


def test_activity_codes_are_listed_with_their_categories(genesys):
    codes = genesys.call("GET", f"{UNIT_PATH}/activitycodes").json()["entities"]
    assert {(c["name"], c["category"]) for c in codes} >= {("Break", "Break"), ("Time Off", "TimeOff")}


def test_users_are_found_by_email_and_through_management_units(genesys):
    found = genesys.call(
        "POST",
        "/api/v2/users/search",
        json={"query": [{"type": "EXACT", "fields": ["email"], "values": ["JOHN.SMITH@example.com"]}]},
    ).json()
    assert [u["id"] for u in found["results"]] == [USERS["john.smith@example.com"]]
    units = genesys.call("GET", f"{UNIT_PATH}/managementunits").json()["entities"]
    members = {
        user["id"]
        for unit in units
        for user in genesys.call("GET", f"/api/v2/workforcemanagement/managementunits/{unit['id']}/users").json()[
            "entities"
        ]
    }
    assert USERS["john.smith@example.com"] in members
    assert USERS["hank.scorpio@example.com"] not in members


def test_a_client_without_wfm_schedule_add_is_told_which_permission_it_lacks(genesys):
    response = genesys.call(
        "POST",
        f"{UNIT_PATH}/weeks/{MONDAY}/schedules/import/uploadurl",
        client_id="genesys-no-schedule-add",
        json={"contentLengthBytes": 10},
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "missing.any.permissions"
    assert body["messageParams"]["permissions"] == "[wfm:schedule:add]"
    assert "wfm:schedule:add" in body["message"]


def test_the_endpoint_forum_answers_give_does_not_exist(genesys):
    response = genesys.call("POST", "/api/v2/wfm/schedules/import", json={})
    assert response.status_code == 404
    assert response.json()["code"] == "not.found"


def test_a_week_must_start_on_the_business_units_start_day(genesys):
    response = genesys.call(
        "POST", f"{UNIT_PATH}/weeks/2026-06-02/schedules/import/uploadurl", json={"contentLengthBytes": 10}
    )
    assert response.status_code == 400
    assert "Monday" in response.json()["message"]


def test_an_upload_over_the_limit_is_refused_with_413(genesys):
    response = genesys.call(
        "POST", f"{UNIT_PATH}/weeks/{MONDAY}/schedules/import/uploadurl", json={"contentLengthBytes": 11 * 1024 * 1024}
    )
    assert response.status_code == 413


def test_an_imported_week_appears_in_the_weeks_schedules_and_the_ledger(genesys, simulator):
    started = genesys.import_week(a_week("Portal import 1"))
    assert started.status_code == 200
    assert started.json()["status"] == "Processing"
    operation_id = started.json()["operationId"]
    schedule = wait_for_schedule(genesys, "Portal import 1")
    assert (schedule["weekDate"], schedule["weekCount"], schedule["published"]) == (MONDAY, 1, True)
    [entry] = simulator.control.genesys_ledger(ACME_UNIT)["imports"]
    assert (entry["operation_id"], entry["week_id"], entry["agents"]) == (operation_id, MONDAY, 1)
    assert simulator.control.genesys_operation(operation_id)["status"] == "Complete"


def test_a_schedule_naming_strangers_is_refused_with_every_problem(genesys, simulator):
    document = a_week(user="hank.scorpio@example.com", code="not-a-code")
    response = genesys.import_week(document)
    assert response.status_code == 400
    codes = {(d["errorCode"], d.get("entityId")) for d in response.json()["details"]}
    assert ("user.not.in.business.unit", USERS["hank.scorpio@example.com"]) in codes
    assert ("activity.code.not.found", "not-a-code") in codes
    assert simulator.control.genesys_ledger()["imports"] == []


def test_a_second_import_while_one_processes_conflicts_and_a_key_imports_once(genesys, simulator):
    simulator.control.set_faults(processing_forever=True)
    assert genesys.import_week(a_week("first")).status_code == 200
    second = genesys.import_week(a_week("second"))
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"


def test_an_upload_url_refuses_a_body_of_another_length_or_without_gzip(genesys):
    ticket = genesys.call(
        "POST", f"{UNIT_PATH}/weeks/{MONDAY}/schedules/import/uploadurl", json={"contentLengthBytes": 5}
    ).json()
    assert requests.put(ticket["url"], data=b"123456", headers=ticket["headers"], timeout=10).status_code == 400
    assert requests.put(ticket["url"], data=b"12345", timeout=10).status_code == 403
    assert requests.put(ticket["url"] + "0", data=b"12345", headers=ticket["headers"], timeout=10).status_code == 403


def test_the_rate_limit_burst_answers_429_with_retry_after(genesys, simulator):
    simulator.control.set_faults(rate_limit_burst=1, retry_after_seconds=7)
    response = genesys.call("GET", f"{UNIT_PATH}/activitycodes")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["code"] == "too.many.requests"
    assert genesys.call("GET", f"{UNIT_PATH}/activitycodes").status_code == 200


def test_a_forced_error_leaves_no_schedule_and_says_error_on_the_topic(genesys, simulator):
    simulator.control.set_faults(final_status="ERROR", processing_seconds=0)
    operation_id = genesys.import_week(a_week("doomed")).json()["operationId"]
    assert simulator.control.genesys_operation(operation_id)["status"] == "Error"
    listed = genesys.call("GET", f"{UNIT_PATH}/weeks/{MONDAY}/schedules").json()["entities"]
    assert listed == []
