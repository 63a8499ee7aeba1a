"""/metrics: Prometheus's text format, read from the database, for the
monitoring system only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from imports import lifecycle, services
from imports.wfm.base import RemoteStatus
from tests.conftest import data_file

TOKEN = "test-only-metrics-token"


@pytest.fixture
def guarded(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_ADDRESSES = ["10.1.0.0/16"]


def scrape(client, **headers):
    return client.get("/metrics", headers=headers)


def test_without_the_token_or_an_allowed_address_the_answer_is_no(client, db, guarded):
    assert scrape(client).status_code == 403
    assert scrape(client, Authorization="Bearer wrong").status_code == 403


def test_the_token_or_an_allowed_address_is_let_in(client, db, guarded):
    assert scrape(client, Authorization=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_with_neither_setting_nobody_is_let_in(client, db, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert scrape(client, Authorization="Bearer ").status_code == 403


def test_the_figures_follow_the_imports(client, personas, guarded):
    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    lifecycle.import_queue(job=job, actor=personas.sam)
    waiting = scrape(client, Authorization=f"Bearer {TOKEN}").content.decode()
    assert 'portal_imports{state="queued"} 1.0' in waiting
    assert f'portal_account_queue_depth{{account="{job.account_key}"}} 1.0' in waiting
    assert f'portal_oldest_waiting_part_age_seconds{{account="{job.account_key}"}}' in waiting

    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="w")
    lifecycle.part_release(part=part, not_before=timezone.now(), message="Talkdesk is busy.")
    lifecycle.part_claim(part=part, held_by="w2")
    lifecycle.part_upload_started(part=part)
    lifecycle.part_accepted(part=part, remote_id="abc", first_poll_at=timezone.now())
    lifecycle.part_finish(part=part, remote_status=RemoteStatus.IMPORTED)
    done = scrape(client, Authorization=f"Bearer {TOKEN}").content.decode()
    assert 'portal_imports{state="imported"} 1.0' in done
    assert 'portal_imports{state="queued"} 0.0' in done
    assert 'portal_wfm_parts_by_answer{status="imported"} 1.0' in done
    assert "portal_send_retries_total 1.0" in done
    assert 'portal_import_confirm_to_final_seconds_bucket{le="5.0"} 1.0' in done
    assert "portal_import_confirm_to_final_seconds_count 1.0" in done


def test_webhook_deliveries_are_counted_by_event_state_and_outcome(client, personas, guarded):
    from imports.webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

    endpoint = WebhookEndpoint(team=personas.alpha, url="https://hooks.example.test/portal", events=["import.*"])
    endpoint.set_secret("test-only-webhook-secret")
    endpoint.save()
    day = timezone.now() + timedelta(days=1)
    delivered = WebhookMessage.objects.create(
        endpoint=endpoint, event_type="import.finished", payload="{}", give_up_at=day, state="delivered"
    )
    pending = WebhookMessage.objects.create(endpoint=endpoint, event_type="import.failed", payload="{}", give_up_at=day)
    WebhookAttempt.objects.create(message=pending, status_code=None, excerpt="connection refused")
    WebhookAttempt.objects.create(message=pending, status_code=500, excerpt="oops")
    WebhookAttempt.objects.create(message=delivered, status_code=204, delivered=True)

    page = scrape(client, Authorization=f"Bearer {TOKEN}").content.decode()

    assert 'portal_webhook_messages{event="import.finished",state="delivered"} 1.0' in page
    assert 'portal_webhook_messages{event="import.failed",state="pending"} 1.0' in page
    assert 'portal_webhook_attempts_total{outcome="delivered"} 1.0' in page
    assert 'portal_webhook_attempts_total{outcome="refused"} 1.0' in page
    assert 'portal_webhook_attempts_total{outcome="no_answer"} 1.0' in page
