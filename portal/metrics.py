"""Prometheus metrics at /metrics, read from the database at each scrape.

From the database rather than counted in each process: gunicorn and the
worker run several processes that a scrape reaches one of, and a restart
would reset counters kept in memory; the database has every import, part,
transition and e-mail, so every figure is the portal's whole truth."""

from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from imports.models import Import, ImportPart, Transition
from imports.notifications.models import Notification
from imports.states import ImportState, PartState
from imports.webhooks.models import WebhookAttempt, WebhookMessage
from portal.client_address import client_address

# Seconds from confirmation (or approval) to the final answer: a small file
# takes seconds, a queue behind others minutes, a stalled one hours.
CONFIRM_TO_FINAL_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600)
MOVING = [ImportState.QUEUED, ImportState.SENDING, ImportState.PROCESSING]


class PortalCollector:
    def collect(self):
        yield self._imports_by_state()
        yield from self._queues()
        yield from self._talkdesk()
        yield self._retries()
        yield self._confirm_to_final()
        yield self._emails()
        yield self._webhook_messages()
        yield self._webhook_attempts()

    def _imports_by_state(self):
        family = GaugeMetricFamily("portal_imports", "Imports in each state.", labels=["state"])
        counts = dict(Import.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
        for state in ImportState:
            family.add_metric([state.value], counts.get(state.value, 0))
        return family

    def _queues(self):
        depth = GaugeMetricFamily(
            "portal_account_queue_depth",
            "Confirmed imports of each WFM account not yet finished (queued, sending or processing).",
            labels=["account"],
        )
        for account, count in (
            Import.objects.filter(state__in=MOVING).values_list("account_key").annotate(n=Count("pk")).order_by()
        ):
            depth.add_metric([account], count)
        yield depth
        oldest = GaugeMetricFamily(
            "portal_oldest_waiting_part_age_seconds",
            "Per account, how long the part that has waited longest has been waiting to be sent.",
            labels=["account"],
        )
        now = timezone.now()
        for account, since in (
            ImportPart.objects.filter(state=PartState.WAITING, import_job__state__in=MOVING)
            .values_list("account_key")
            .annotate(since=Min("import_job__confirmed_at"))
            .order_by()
        ):
            if since is not None:
                oldest.add_metric([account], max((now - since).total_seconds(), 0.0))
        yield oldest

    def _talkdesk(self):
        answers = GaugeMetricFamily(
            "portal_wfm_parts_by_answer",
            "Parts sent to the WFM, by the status of its last answer about them.",
            labels=["status"],
        )
        for status, count in (
            ImportPart.objects.exclude(remote_status="").values_list("remote_status").annotate(n=Count("pk")).order_by()
        ):
            answers.add_metric([status], count)
        yield answers
        checks = CounterMetricFamily("portal_wfm_status_checks", "Status checks asked of the WFM, all parts together.")
        checks.add_metric([], ImportPart.objects.aggregate(n=Sum("polls"))["n"] or 0)
        yield checks

    def _retries(self):
        family = CounterMetricFamily(
            "portal_send_retries",
            "Sends put back to wait because the WFM provably received nothing (busy, rate-limited, unreachable).",
        )
        family.add_metric(
            [],
            Transition.objects.filter(
                part__isnull=False,
                from_state__in=[PartState.PREPARING, PartState.SENDING],
                to_state=PartState.WAITING,
            ).count(),
        )
        return family

    def _confirm_to_final(self):
        took = ExpressionWrapper(F("finished_at") - F("confirmed_at"), output_field=DurationField())
        finished = Import.objects.filter(confirmed_at__isnull=False, finished_at__isnull=False).exclude(
            state__in=[ImportState.CANCELLED, ImportState.REJECTED]
        )
        buckets = {
            f"le_{bound}": Count("pk", filter=Q(took__lte=timedelta(seconds=bound)))
            for bound in CONFIRM_TO_FINAL_BUCKETS
        }
        figures = finished.annotate(took=took).aggregate(total=Count("pk"), sum=Sum("took"), **buckets)
        family = HistogramMetricFamily(
            "portal_import_confirm_to_final_seconds",
            "Seconds from an import's confirmation (or approval) to its final state.",
        )
        family.add_metric(
            [],
            buckets=[(str(float(bound)), figures[f"le_{bound}"]) for bound in CONFIRM_TO_FINAL_BUCKETS]
            + [("+Inf", figures["total"])],
            sum_value=figures["sum"].total_seconds() if figures["sum"] else 0.0,
        )
        return family

    def _emails(self):
        family = GaugeMetricFamily(
            "portal_email_notifications",
            "E-mail notifications, by what they tell and where they stand.",
            labels=["kind", "state"],
        )
        for kind, state, count in Notification.objects.values_list("kind", "state").annotate(n=Count("pk")).order_by():
            family.add_metric([kind, state], count)
        return family

    def _webhook_messages(self):
        family = GaugeMetricFamily(
            "portal_webhook_messages",
            "Webhook events owed to receivers, by event and where they stand.",
            labels=["event", "state"],
        )
        rows = WebhookMessage.objects.values_list("event_type", "state").annotate(n=Count("pk")).order_by()
        for event, state, count in rows:
            family.add_metric([event, state], count)
        return family

    def _webhook_attempts(self):
        # Told apart the way an operator acts on them: a receiver that said
        # no (its answer is in the attempt log) or one that never answered.
        family = CounterMetricFamily(
            "portal_webhook_attempts", "Webhook delivery attempts, by outcome.", labels=["outcome"]
        )
        outcomes = {
            "delivered": Q(delivered=True),
            "refused": Q(delivered=False, status_code__isnull=False),
            "no_answer": Q(delivered=False, status_code__isnull=True),
        }
        counts = WebhookAttempt.objects.aggregate(
            **{f"n_{outcome}": Count("pk", filter=match) for outcome, match in outcomes.items()}
        )
        for outcome in outcomes:
            family.add_metric([outcome], counts[f"n_{outcome}"])
        return family


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    address = client_address(request)
    if address and settings.METRICS_ALLOWED_ADDRESSES:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(entry, strict=False) for entry in settings.METRICS_ALLOWED_ADDRESSES)
    return False


@never_cache
def metrics(request):
    if not _allowed(request):
        return HttpResponse(
            "Metrics are for the monitoring system: send the METRICS_TOKEN as a bearer token, "
            "or scrape from an address in METRICS_ALLOWED_ADDRESSES.\n",
            status=403,
            content_type="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
