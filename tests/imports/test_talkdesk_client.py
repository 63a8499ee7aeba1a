"""The Talkdesk client's pure parts, and what it does when nothing answers."""

import pytest

from imports.wfm.talkdesk.client import (
    ImportStatus,
    Scopes,
    TalkdeskClient,
    TalkdeskUnreachable,
    UnexpectedResponse,
    UploadOutcomeUnknown,
    endpoint_for,
    import_id_from_location,
)

IMPORT_ID = "550e8400-e29b-41d4-a716-446655440000"
# A port nothing listens on.
NOWHERE = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("region", "token_url", "api_base"),
    [
        ("us", "https://acme.talkdeskid.com/oauth/token", "https://api.talkdeskapp.com"),
        ("eu", "https://acme.talkdeskid.eu/oauth/token", "https://api.talkdeskapp.eu"),
        ("ca", "https://acme.talkdeskidca.com/oauth/token", "https://api.talkdeskappca.com"),
    ],
)
def test_each_region_has_its_own_token_service_and_api(region, token_url, api_base):
    endpoints = endpoint_for(account="acme", region=region)

    assert endpoints.token_url == token_url
    assert endpoints.api_base == api_base


def test_a_custom_base_url_serves_both_the_api_and_the_accounts_token_service():
    endpoints = endpoint_for(account="acme", region="eu", base_url="http://127.0.0.1:8765/")

    assert endpoints.api_base == "http://127.0.0.1:8765"
    assert endpoints.token_url == "http://127.0.0.1:8765/acme/oauth/token"


def test_an_unknown_region_is_refused_with_the_regions_to_choose_from():
    with pytest.raises(ValueError, match="choose one of ca, eu, us"):
        TalkdeskClient(account="acme", client_id="id", client_secret="secret", region="mars")


@pytest.mark.parametrize("account", ["", "acme.evil.com", "acme/oauth", "-acme", "ac me"])
def test_an_account_that_is_not_a_talkdesk_account_name_is_refused(account):
    with pytest.raises(ValueError, match="not a Talkdesk account name"):
        endpoint_for(account=account)


def test_a_base_url_without_a_scheme_is_refused():
    with pytest.raises(ValueError, match="must start with http"):
        endpoint_for(account="acme", base_url="127.0.0.1:8765")


def test_a_client_needs_a_client_id_and_a_secret():
    with pytest.raises(ValueError, match="client ID"):
        TalkdeskClient(account="acme", client_id="", client_secret="secret")
    with pytest.raises(ValueError, match="client secret"):
        TalkdeskClient(account="acme", client_id="id", client_secret="")


@pytest.mark.parametrize(
    "location",
    [
        f"/v1/schedules/event-imports/{IMPORT_ID}",
        f"/v1/schedules/event-imports/{IMPORT_ID}/",
        f"https://api.talkdeskapp.com/wfm/aion/v1/schedules/event-imports/{IMPORT_ID}",
        f"http://127.0.0.1:8765/v1/schedules/event-imports/{IMPORT_ID}?source=upload",
    ],
)
def test_the_import_id_is_read_from_a_relative_or_absolute_location(location):
    assert import_id_from_location(location) == IMPORT_ID


@pytest.mark.parametrize(
    "location",
    [None, "", "/v1/schedules/event-imports/", "/v1/schedules/event-imports/not-a-uuid", f"/v1/other/{IMPORT_ID}"],
)
def test_a_location_without_an_import_id_yields_none(location):
    assert import_id_from_location(location) is None


def test_an_import_is_final_once_talkdesk_has_finished_with_it():
    assert not ImportStatus(id=IMPORT_ID, status="PROCESSING").is_final
    for status in ("IMPORTED", "IMPORTED_WITH_ERRORS", "ERROR"):
        assert ImportStatus(id=IMPORT_ID, status=status).is_final


def test_scopes_default_to_the_names_in_talkdesks_documentation():
    assert Scopes() == Scopes(write="wfm-public:write", read="wfm-public:read", users="users:read")


def test_the_client_shows_itself_without_its_secret():
    client = TalkdeskClient(account="acme", client_id="demo-portal", client_secret="s3cr3t-value")

    assert "s3cr3t-value" not in repr(client)
    assert "demo-portal" in repr(client) and "acme" in repr(client)


def test_when_nothing_listens_nothing_was_sent_and_trying_again_is_safe():
    client = TalkdeskClient(account="acme", client_id="demo-portal", client_secret="s3cr3t-value", base_url=NOWHERE)

    with pytest.raises(TalkdeskUnreachable) as raised:
        client.upload(content=b"x", file_name="week.csv", time_zone="UTC")

    assert not isinstance(raised.value, UploadOutcomeUnknown)
    assert raised.value.retryable
    assert "nothing was sent" in raised.value.message
    assert "s3cr3t-value" not in str(raised.value) + repr(raised.value)


def test_a_report_link_that_is_not_a_web_address_is_refused_before_anything_is_fetched():
    client = TalkdeskClient(account="acme", client_id="demo-portal", client_secret="s3cr3t-value", base_url=NOWHERE)

    with pytest.raises(UnexpectedResponse, match="not a web address"):
        client.download_report("file:///etc/passwd")
