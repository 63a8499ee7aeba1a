"""Writes the audit log: called by services for what people do, and by
Django's and django-axes' sign-in signals. A detail names what changed, never
a value that could be a secret."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from imports.models import AuditEvent, Connection, Import
from portal.client_address import client_address as address_of

Action = AuditEvent.Action


def record(
    action: AuditEvent.Action,
    *,
    user=None,
    username: str = "",
    client_address: str | None = None,
    import_job: Import | None = None,
    connection: Connection | None = None,
    detail: str = "",
) -> AuditEvent:
    if user is not None and not username:
        username = user.get_username()
    return AuditEvent.objects.create(
        action=action,
        user=user if user is not None and user.pk else None,
        username=username[: AuditEvent._meta.get_field("username").max_length],
        client_address=client_address,
        import_job=import_job,
        connection=connection,
        detail=detail[: AuditEvent._meta.get_field("detail").max_length],
    )


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def _signed_in(sender, request, user, **kwargs):
    record(Action.SIGNED_IN, user=user, client_address=address_of(request) if request else None)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` with stars;
    # only the user name is kept.
    record(
        Action.SIGN_IN_FAILED,
        username=str(credentials.get("username", "")),
        client_address=address_of(request) if request else None,
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(Action.LOCKED_OUT, username=username or "", client_address=ip_address)
