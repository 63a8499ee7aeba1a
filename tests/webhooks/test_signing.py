"""The portal's signatures are Standard Webhooks' own: the reference library
verifies them, and the portal's verifier (for the examples) refuses forgeries."""

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from imports.webhooks import signing

BODY = b'{"type":"import.finished","data":{"id":"x"}}'


def test_the_reference_library_verifies_a_message_the_portal_signed():
    secret = signing.new_secret()
    headers = signing.headers(secret, message_id="msg_1", body=BODY)
    assert Webhook(secret).verify(BODY, headers) is not None


def test_the_reference_library_refuses_a_message_signed_with_another_secret():
    headers = signing.headers(signing.new_secret(), message_id="msg_1", body=BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_a_changed_body_or_id_is_refused():
    secret = signing.new_secret()
    headers = signing.headers(secret, message_id="msg_1", body=BODY)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers=headers, body=BODY + b" ")
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, headers={**headers, "webhook-id": "msg_2"}, body=BODY)
    signing.verify(secret, headers=headers, body=BODY)


def test_an_old_timestamp_is_refused_as_a_replay():
    secret = signing.new_secret()
    sent = int(time.time()) - signing.TOLERANCE_SECONDS - 10
    headers = signing.headers(secret, message_id="msg_1", body=BODY, timestamp=sent)
    with pytest.raises(signing.InvalidSignature, match="too far"):
        signing.verify(secret, headers=headers, body=BODY)


def test_a_secret_is_standard_webhooks_format():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(secret) > 30
    assert signing.new_secret() != secret
