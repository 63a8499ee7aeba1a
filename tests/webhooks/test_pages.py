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


@pytest.mark.django_db
def test_an_endpoint_turned_off_says_so_refuses_a_test_event_and_offers_no_sending(client, personas, monkeypatch):
    monkeypatch.setattr("imports.enqueue.on_commit", lambda *args, **kw: None)
    endpoint, _ = services.webhook_endpoint_create(
        team=personas.alpha, url="https://93.184.215.14/hook", events=["import.*"]
    )
    owed = services.webhook_test_send(endpoint=endpoint)
    client.force_login(personas.ada)
    assert client.post(f"/webhooks/{endpoint.pk}/toggle/").status_code == 302
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    row = page[page.index(f'data-message="{owed.pk}"') :].split("</tr>", 1)[0]
    assert "Not sent: the endpoint is turned off" in row
    assert "Send test event" not in page and "Send again" not in page

    refused = client.post(f"/webhooks/{endpoint.pk}/test/", follow=True).content.decode()
    assert "https://93.184.215.14/hook is turned off: turn it on to send it a test event." in refused
    assert WebhookMessage.objects.filter(endpoint=endpoint).count() == 1
