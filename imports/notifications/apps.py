from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """E-mail to the people an import concerns: its own app, with its own
    tables and migrations, subscribed to the lifecycle's `import_moved`."""

    name = "imports.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from imports.notifications import subscriber  # noqa: F401 (connects the receiver)
