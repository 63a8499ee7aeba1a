"""Webhooks never reach inside the portal's network (SSRF), whatever the URL
says, unless a host is named in WEBHOOK_ALLOWED_HOSTS."""

import pytest

from imports.webhooks.address_guard import AddressRefused, resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_an_address_inside_a_private_network_is_refused(url):
    with pytest.raises(AddressRefused, match="private network"):
        resolve(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///nohost", "http://x:99999/"])
def test_a_url_that_is_not_http_to_a_host_is_refused(url):
    with pytest.raises(AddressRefused):
        resolve(url)


def test_a_named_host_is_allowed_and_the_connection_goes_to_the_address_checked():
    target = resolve("http://127.0.0.1:8123/hook?x=1", allowed_hosts=frozenset({"127.0.0.1"}))
    assert (target.address, target.port, target.path, target.host) == ("127.0.0.1", 8123, "/hook?x=1", "127.0.0.1")


def test_a_public_address_is_allowed():
    target = resolve("https://93.184.215.14/hook")
    assert target.address == "93.184.215.14" and target.port == 443
