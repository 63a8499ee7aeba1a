from django.conf import settings
from django.db import models

from imports.models import Import, Transition


class Kind(models.TextChoices):
    IMPORTED = "imported", "An import I uploaded was imported"
    IMPORTED_WITH_ERRORS = "imported_with_errors", "An import I uploaded was imported with errors"
    NOT_IMPORTED = "not_imported", "An import I uploaded failed or was rejected"
    AWAITING_APPROVAL = "awaiting_approval", "An import waits for my approval"
    NEEDS_ATTENTION = "needs_attention", "An import needs an admin's attention (admins only)"


# Off for a plain success: a planner who uploads every day would soon stop
# reading the portal's mail, and miss the one that matters.
DEFAULT_CHOICES = {
    Kind.IMPORTED: False,
    Kind.IMPORTED_WITH_ERRORS: True,
    Kind.NOT_IMPORTED: True,
    Kind.AWAITING_APPROVAL: True,
    Kind.NEEDS_ATTENTION: True,
}


class Preference(models.Model):
    """Which e-mails one person wants; a person without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    imported = models.BooleanField(default=DEFAULT_CHOICES[Kind.IMPORTED])
    imported_with_errors = models.BooleanField(default=DEFAULT_CHOICES[Kind.IMPORTED_WITH_ERRORS])
    not_imported = models.BooleanField(default=DEFAULT_CHOICES[Kind.NOT_IMPORTED])
    awaiting_approval = models.BooleanField(default=DEFAULT_CHOICES[Kind.AWAITING_APPROVAL])
    needs_attention = models.BooleanField(default=DEFAULT_CHOICES[Kind.NEEDS_ATTENTION])

    def __str__(self) -> str:
        return f"e-mail choices of {self.user}"

    def wants(self, kind: Kind) -> bool:
        return getattr(self, kind.value)


class Notification(models.Model):
    """One e-mail to one person about one move of an import: written in the
    transaction of the move (so never lost), sent by the worker after commit
    (so never for a move rolled back), and at most once per person and move."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Could not be sent"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    import_job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="notifications")
    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["transition", "user"], name="one_notification_per_person_and_move")
        ]
        indexes = [models.Index(fields=["state", "not_before"], name="notification_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user} ({self.get_state_display()})"
