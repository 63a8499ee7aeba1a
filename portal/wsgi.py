import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()


def _warm_up() -> None:
    # Done once per web process as it starts, so that its first requests do
    # not pay for it: reading the zone database from disk, and importing
    # Celery's and the broker's modules on the first send (with the threads of
    # a burst of uploads waiting on one another's import locks).
    from imports.schedule.local_times import zone_names
    from portal.celery import app

    zone_names()
    _ = app.amqp.producer_pool


_warm_up()
