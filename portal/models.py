from django.conf import settings
from django.db import models


class Heartbeat(models.Model):
    """When a periodic task last ran: beat sent it, the broker carried it and
    a worker ran it. /readyz reads it."""

    name = models.CharField(max_length=50, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"


class SignInIdentity(models.Model):
    """The identity provider's stable name for a person (issuer and subject):
    a changed e-mail address or user name at the provider still signs in the
    same person, and no one else."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_identities")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list, blank=True)
    first_signed_in_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="one_user_per_provider_subject")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
