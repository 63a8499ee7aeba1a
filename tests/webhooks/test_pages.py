"""An admin's Send test event and Send again owe the endpoint a message."""

import pytest

from imports.models import WebhookEndpoint, WebhookMessage
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


@pytest.mark.django_db
def test_the_secret_card_links_to_the_endpoint_just_added_not_the_first_listed(client, personas):
    listed_first, _ = services.webhook_endpoint_create(
        team=personas.alpha, url="https://93.184.215.14/a-hook", events=["import.*"]
    )
    client.force_login(personas.ada)
    answer = client.post(
        "/webhooks/", {"team": personas.alpha.pk, "url": "https://93.184.215.14/b-hook", "events": "import.*"}
    )
    added = WebhookEndpoint.objects.get(url="https://93.184.215.14/b-hook")
    page = answer.content.decode()
    table = page[page.index('<table id="endpoints">') :]
    assert table.index(f'href="/webhooks/{listed_first.pk}/"') < table.index(f'href="/webhooks/{added.pk}/"')
    assert f'<a data-new-endpoint href="/webhooks/{added.pk}/">' in page
