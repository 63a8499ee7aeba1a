"""The packaged demo configuration and the checks on any configuration."""

import json
import re
from pathlib import Path

import pytest

from simulator import config

TEST_CONFIG = Path(__file__).parents[1] / "data" / "simulator.json"


def test_the_demo_config_has_the_documented_accounts_and_clients():
    demo = config.load(None)
    acme, globex = demo.accounts["acme"], demo.accounts["globex"]
    assert {"john.smith@example.com", "jane.doe@example.com", "bob.wilson@example.com"} <= acme.active_emails
    assert len(acme.active_emails) >= 12
    assert sum(not a.active for a in acme.agents) == 2
    assert acme.event_types == {"Available for all channels", "Break", "Lunch", "Meeting", "Training", "Time Off"}
    assert acme.clients["demo-portal"].scopes == set(config.SCOPES)
    assert acme.clients["demo-readonly"].scopes == {"wfm-public:read"}
    assert acme.clients["demo-no-users"].scopes == {"wfm-public:write", "wfm-public:read"}
    assert len(globex.event_types) == 5 and globex.event_types < acme.event_types
    assert [c.scopes for c in globex.clients.values()] == [set(config.SCOPES)]
    assert (demo.token_ttl_seconds, demo.processing_seconds, demo.report_link_ttl_seconds) == (600, 3, 600)
    assert (demo.rate_limit.requests, demo.rate_limit.per_seconds, demo.faults) == (120, 60, {})


def test_every_secret_says_it_is_not_real():
    for path in (None, TEST_CONFIG):
        for account in config.load(path).accounts.values():
            assert all("not-a-real-credential" in c.client_secret for c in account.clients.values())


def test_the_test_config_is_the_demo_config_processing_faster():
    test_config = json.loads(TEST_CONFIG.read_text())
    demo = json.loads((Path(config.__file__).parent / "demo_config.json").read_text())
    assert test_config == {**demo, "processing_seconds": 0.5}


def good() -> dict:
    return json.loads(TEST_CONFIG.read_text())


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda c: c.update(extra=1), "unknown key"),
        (lambda c: c.update(accounts={}), "accounts"),
        (lambda c: c.update(token_ttl_seconds=0), "token_ttl_seconds"),
        (lambda c: c.update(processing_seconds=-1), "processing_seconds"),
        (lambda c: c.update(rate_limit={"requests": 0, "per_seconds": 60}), "rate_limit.requests"),
        (lambda c: c.update(faults={"nope": 1}), "nope"),
        (lambda c: c["accounts"].update({"Bad Name": c["accounts"]["acme"]}), "Bad Name"),
        (lambda c: c["accounts"]["acme"]["agents"][0].pop("email"), "agents[0]"),
        (lambda c: c["accounts"]["acme"]["agents"][1].update(email="JOHN.SMITH@example.com"), "share an email"),
        (lambda c: c["accounts"]["acme"]["agents"][0].update(active="yes"), "active"),
        (lambda c: c["accounts"]["acme"]["event_types"].append(""), "event_types[6]"),
        (lambda c: c["accounts"]["acme"]["clients"].append(c["accounts"]["acme"]["clients"][0]), "share a client_id"),
        (lambda c: c["accounts"]["acme"]["clients"][0].update(client_secret=""), "client_secret"),
        (lambda c: c["accounts"]["acme"].update(clients=[]), "at least one client"),
    ],
)
def test_it_refuses_a_bad_config_and_says_what_is_wrong(change, complaint):
    data = good()
    change(data)
    with pytest.raises(config.ConfigError, match=re.escape(complaint)):
        config.from_dict(data)
