from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Schedule imports"

    def ready(self):
        # Connects the sign-in signals to the audit log and to the person's
        # time zone.
        from imports import audit, person_zone  # noqa: F401

        # Connects the import's moves to the webhooks they owe.
        from imports.webhooks import receivers  # noqa: F401
