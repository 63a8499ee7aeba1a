"""What the API keeps: the keys teams' jobs sign in with, and the answers
given to requests that carried an Idempotency-Key.

Registered with the `imports` app through `imports.models`; the foreign keys
name their models as strings so that this module imports none of the app's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

SCOPE_READ = "imports:read"
SCOPE_WRITE = "imports:write"
SCOPES = (SCOPE_READ, SCOPE_WRITE)


class ApiKey(models.Model):
    """A key one team's job signs in with. Only a hash of the key is kept; the
    short prefix, which is part of the key, tells keys apart on the page."""

    team = models.ForeignKey("imports.Team", on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The key acts as a user of its own, which cannot sign in: what it uploads
    # shows its name in the history and the audit log like a person's would.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_keys_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A fixed window per key for the rate limit: one conditional update per
    # request, the same on SQLite and PostgreSQL and across web processes.
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_requests = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="one_api_key_name_per_team")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.team})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "Expired"
        return "Active"


class IdempotentRequest(models.Model):
    """The first request a key made with an Idempotency-Key, and the answer it
    got: the same key and request again is answered the same, nothing done."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotent_requests")
    key = models.CharField(max_length=255)
    # method, path and a digest of the fields and files, not of the raw body:
    # two multipart bodies of the same request differ in their boundaries.
    fingerprint = models.CharField(max_length=64)
    # While a request is being handled; past it, its handler is taken for
    # dead (nothing it did was committed) and a retry may take over.
    locked_until = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    location = models.CharField(max_length=500, blank=True)
    # The import an upload made, written with it: a retry that takes over
    # from a handler that died goes on from this import, not a second one.
    import_job = models.ForeignKey("imports.Import", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="one_request_per_idempotency_key")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expiry")]

    def __str__(self) -> str:
        return f"{self.key} ({self.api_key.prefix}…)"
