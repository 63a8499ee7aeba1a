"""An admin's Send test event and Send again owe the endpoint a message."""

import pytest

from imports.models import WebhookMessage
from imports.webhooks import services


@pytest.mark.django_db
def test_send_test_event_and_send_again_owe_a_message(client, personas, monkeypatch):
    sent = []
    monkeypatch.setattr("imports.enqueue.on_commit", lambda name, *args, **kw: sent.append((name, args)))
    endpoint, _ = services.webhook_endpoint_create(
        team=personas.alpha, url="https://93.184.215.14/hook", events=["import.*"]
    )
    client.force_login(personas.ada)
    answer = client.post(f"/webhooks/{endpoint.pk}/test/")
    assert answer.status_code == 302 and answer["Location"] == f"/webhooks/{endpoint.pk}/"
    (message,) = WebhookMessage.objects.filter(endpoint=endpoint)
    assert message.event_type == "webhook.test"
    assert client.post(f"/webhooks/{endpoint.pk}/messages/{message.pk}/resend/").status_code == 302
    assert [name for name, _ in sent] == ["imports.tasks.send_webhook"] * 2
    assert message.pk in client.get(f"/webhooks/{endpoint.pk}/").content.decode()
