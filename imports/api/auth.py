"""Who is calling: `Authorization: Bearer <key>`, the key's scopes, its rate,
and the upload cap, checked before anything of the request is done."""

from __future__ import annotations

from functools import wraps

from ninja.security import HttpBearer

from imports import audit
from imports.api import keys
from imports.api.problems import Problem
from imports.models import AuditEvent
from imports.uploads import upload_refusal
from portal.client_address import client_address


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request, token):
        api_key = keys.api_key_for(key=token)
        if api_key is None:
            return None
        wait = keys.api_key_use(api_key=api_key)
        if wait is not None:
            raise Problem(
                429,
                f"This key made more than its {_rate()} requests this minute; try again in {wait:.0f} s (Retry-After).",
                code="rate_limited",
                headers={"Retry-After": str(int(wait + 0.999))},
            )
        request.user = api_key.user
        if request.method == "GET":
            audit.record(
                AuditEvent.Action.API_READ,
                user=api_key.user,
                client_address=client_address(request),
                detail=f"GET {request.get_full_path()}",
            )
        if request.method == "POST" and (request.content_type or "").startswith("multipart/"):
            # Read here, after the key is known: the body of a stranger's
            # request is never spooled.
            refusal = upload_refusal(request)
            if refusal:
                raise Problem(413, refusal, code="file_too_large")
        return api_key


def _rate() -> int:
    from django.conf import settings

    return settings.API_RATE_PER_MINUTE


def require_scope(scope: str):
    def decorate(view):
        @wraps(view)
        def check(request, *args, **kwargs):
            if scope not in request.auth.scopes:
                raise Problem(
                    403,
                    f"This key lacks the scope {scope}; an admin can make a key that has it.",
                    code="missing_scope",
                )
            return view(request, *args, **kwargs)

        # The scope, for the OpenAPI document's description of the operation.
        check.required_scope = scope
        return check

    return decorate
