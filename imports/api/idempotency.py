"""The Idempotency-Key header, as the IETF draft and Stripe have it: the same
key with the same request replays the first answer; with a different request
it is refused (422); while the first is still being handled, 409.

The first request claims the key in a row of its own, committed at once, so
that every other request with the key sees it. What the request does is
committed together with the answer kept for the key (or, for an upload, with
the import it made), so that a handler that dies leaves either nothing or a
record to go on from: a retry after its lease takes over, never doing twice
what was done.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from imports.api.models import IdempotentRequest
from imports.api.problems import Problem

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255
# How long a handler has before a retry may take its key over.
LEASE = timedelta(seconds=120)


class LeaseLost(Exception):
    """Another request took over this key while this one was slow."""


def fingerprint(request) -> str:
    """What makes two requests the same: method, path, query, fields and
    each file's name and content; not the multipart boundaries."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(json.dumps(sorted(request.GET.lists())).encode())
    content_type = request.content_type or ""
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        digest.update(json.dumps(sorted(request.POST.lists())).encode())
        for field, files in sorted(request.FILES.lists()):
            for upload in files:
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(f"{field}|{upload.name}|{upload.size}|{content.hexdigest()}\n".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(held: IdempotentRequest) -> HttpResponse:
    answer = JsonResponse(held.body, status=held.status_code, safe=False)
    if held.location:
        answer["Location"] = held.location
    answer["Idempotent-Replayed"] = "true"
    return answer


def claim(*, api_key, key: str, request) -> IdempotentRequest | HttpResponse:
    """The key's record, held for this request; or the first answer to replay."""
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise Problem(
            400,
            f"The {HEADER} header must be 1 to {MAX_KEY_CHARS} printable characters, such as a UUID.",
            code="invalid_idempotency_key",
        )
    now = timezone.now()
    printed = fingerprint(request)
    made = _new_record(api_key=api_key, key=key, printed=printed, now=now)
    if made is not None:
        return made
    held = IdempotentRequest.objects.filter(api_key=api_key, key=key).first()
    if held is not None and held.expires_at <= now:
        # Past its time, and the hourly sweep has not come yet: forgotten
        # here, and this request is a new one. Only on a clash, so that the
        # usual request (a new key) costs no statement for it.
        IdempotentRequest.objects.filter(pk=held.pk, expires_at__lte=now).delete()
        made = _new_record(api_key=api_key, key=key, printed=printed, now=now)
        if made is not None:
            return made
        held = IdempotentRequest.objects.filter(api_key=api_key, key=key).first()
    if held is None:
        # Forgotten between the two statements: a rare race, and a retry
        # is the right answer to it.
        raise _in_flight()
    if held.fingerprint != printed:
        raise Problem(
            422,
            f"This {HEADER} was used for a different request (another file, fields or address). "
            "Use a new key for a new request.",
            code="idempotency_key_reused",
        )
    if held.status_code is not None:
        return _replay(held)
    if held.locked_until and held.locked_until > now:
        raise _in_flight()
    # The first handler died before it answered; this request takes over.
    taken = IdempotentRequest.objects.filter(pk=held.pk, locked_until=held.locked_until, status_code__isnull=True)
    if not taken.update(locked_until=now + LEASE):
        raise _in_flight()
    held.refresh_from_db()
    return held


def _new_record(*, api_key, key: str, printed: str, now) -> IdempotentRequest | None:
    """The key's record, made for this request; None when the key has one."""
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                api_key=api_key,
                key=key,
                fingerprint=printed,
                locked_until=now + LEASE,
                created_at=now,
                expires_at=now + timedelta(hours=settings.API_IDEMPOTENCY_HOURS),
            )
    except IntegrityError:
        return None


def _in_flight() -> Problem:
    return Problem(
        409,
        f"A request with this {HEADER} is still being handled. Wait a moment and send it again: "
        "you will get its answer.",
        code="idempotency_key_in_flight",
        headers={"Retry-After": "1"},
    )


def link_import(held: IdempotentRequest, job) -> None:
    """Records, in the transaction that keeps the import, which import the
    request made: a retry that takes over goes on from it."""
    if not IdempotentRequest.objects.filter(pk=held.pk, locked_until=held.locked_until, import_job__isnull=True).update(
        import_job=job
    ):
        raise LeaseLost
    held.import_job = job


def remember(held: IdempotentRequest, answer: HttpResponse) -> None:
    if not IdempotentRequest.objects.filter(pk=held.pk, locked_until=held.locked_until).update(
        status_code=answer.status_code,
        body=json.loads(answer.content),
        location=answer.get("Location", ""),
        locked_until=None,
    ):
        raise LeaseLost


def release(held: IdempotentRequest) -> None:
    """The request was refused or failed before it did anything: the key may
    be used again, for this request or a corrected one."""
    IdempotentRequest.objects.filter(pk=held.pk, locked_until=held.locked_until, import_job__isnull=True).delete()
    # A request that already made its import keeps the key: a retry goes on
    # from that import.
    IdempotentRequest.objects.filter(pk=held.pk, locked_until=held.locked_until).update(locked_until=timezone.now())


def idempotent(*, atomic: bool = True):
    """For a POST operation: honours the request's Idempotency-Key. With
    `atomic`, the operation and the answer kept for its key commit together;
    an operation that commits in steps (an upload) passes False and links
    what it made with `link_import`."""

    def decorate(view):
        @wraps(view)
        def handle(request, *args, **kwargs):
            key = request.headers.get(HEADER)
            request.idempotent_request = None
            if key is None:
                return view(request, *args, **kwargs)
            held = claim(api_key=request.auth, key=key, request=request)
            if isinstance(held, HttpResponse):
                return held
            request.idempotent_request = held
            try:
                with transaction.atomic() if atomic else nullcontext():
                    answer = view(request, *args, **kwargs)
                    if not 200 <= answer.status_code < 300:
                        raise Problem(answer.status_code, "The request was refused.")
                    remember(held, answer)
            except LeaseLost:
                raise _in_flight() from None
            except BaseException:
                release(held)
                raise
            return answer

        return handle

    return decorate


def forget_expired() -> int:
    return IdempotentRequest.objects.filter(expires_at__lte=timezone.now()).delete()[0]
