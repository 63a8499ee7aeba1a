"""The production compose file: one way in, through a proxy that caps the
body and reports the client's address, and a portal that believes only it."""

import re
from pathlib import Path

import pytest
import yaml

from imports.uploads import FORM_ALLOWANCE_BYTES
from portal.processes import command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def caddyfile() -> str:
    return (ROOT / "deploy" / "Caddyfile").read_text()


def test_only_the_proxy_is_published_on_the_host(compose):
    published = {
        name for name, service in compose["services"].items() if "ports" in service and not service.get("profiles")
    }
    assert published == {"proxy"}
    assert sorted(compose["services"]["proxy"]["ports"]) == ["443:443", "80:80"]


def test_gunicorn_and_the_portal_believe_forwarded_headers_from_the_proxys_fixed_address_only(compose):
    proxy_address = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    web = compose["services"]["web"]["environment"]
    assert web["FORWARDED_ALLOW_IPS"] == proxy_address
    args = command("web", {k: str(v) for k, v in web.items()})
    assert args[args.index("--forwarded-allow-ips") + 1] == proxy_address


def test_the_portal_runs_with_the_production_settings_everywhere(compose):
    for name in ("web", "worker", "beat", "migrate"):
        assert compose["services"][name]["environment"]["PORTAL_ENV"] == "production", name


def test_the_proxy_cuts_off_a_body_only_larger_than_what_the_portal_answers_itself(compose, caddyfile):
    portal_cap = int(compose["services"]["web"]["environment"]["UPLOAD_MAX_BYTES"])
    proxy_cap = int(compose["services"]["proxy"]["environment"]["PROXY_MAX_BODY_BYTES"])
    assert portal_cap + FORM_ALLOWANCE_BYTES < proxy_cap <= portal_cap + 2 * 1024 * 1024
    assert re.search(r"request_body\s*\{\s*max_size \{\$PROXY_MAX_BODY_BYTES\}\s*\}", caddyfile)


def test_the_proxy_passes_on_the_address_it_saw_not_the_one_the_client_claims(caddyfile):
    assert "reverse_proxy web:8000" in caddyfile
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
    assert "header_up X-Forwarded-Proto {scheme}" in caddyfile


def test_the_web_service_is_healthy_only_when_the_portal_is_ready_and_the_proxy_waits_for_it(compose):
    web = compose["services"]["web"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(web["healthcheck"]["test"])
    assert compose["services"]["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}
