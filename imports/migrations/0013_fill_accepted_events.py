"""Fills the record of what Talkdesk accepted for the imports finished
before it was kept, and the fingerprint of each import's file as sent, so
that the checks know the imports of before as well as the ones to come."""

from django.db import migrations

BATCH = 5000


def fill(apps, schema_editor):
    from imports.accepted_events import accepted_rows, normalised_sha256, rows_of_import

    Import = apps.get_model("imports", "Import")
    ImportPart = apps.get_model("imports", "ImportPart")
    AcceptedEvent = apps.get_model("imports", "AcceptedEvent")
    for job in Import.objects.filter(normalised_sha256="", connection__kind="talkdesk").exclude(parts=None).iterator():
        contents = []
        try:
            for part in ImportPart.objects.filter(import_job=job).order_by("number"):
                with part.content.open("rb") as stored:
                    contents.append(stored.read())
        except (OSError, ValueError):
            # A part whose file is gone (or was never kept) leaves the fingerprint unknown.
            continue
        Import.objects.filter(pk=job.pk).update(normalised_sha256=normalised_sha256(contents))

    finished = ImportPart.objects.filter(state__in=["imported", "imported_with_errors"], accepted_events=None)
    # Talkdesk's only: a Genesys Cloud part is a week of its file, not a run of its rows.
    talkdesk = Import.objects.filter(connection__kind="talkdesk", parts__in=finished).distinct()
    for job in talkdesk.iterator():
        latest = job.revisions.order_by("-number").first()
        try:
            rows = rows_of_import(job.pk, latest.content if latest else job.original, job.time_zone, job.date_format)
        except (OSError, ValueError) as error:
            # A file lost from storage must not stop the portal from starting;
            # that import's events are simply not on record.
            print(f"  import {job.pk}: its file cannot be read ({error}); its events are not recorded.")
            continue
        offset = 0
        for part in ImportPart.objects.filter(import_job=job).order_by("number"):
            start, offset = offset, offset + part.rows
            if part.state not in ("imported", "imported_with_errors") or part.accepted_events.exists():
                continue
            report = None
            if part.error_report:
                with part.error_report.open("rb") as stored:
                    report = stored.read()
            AcceptedEvent.objects.bulk_create(
                (
                    AcceptedEvent(
                        account_key=part.account_key,
                        agent_email=row.agent_email.lower(),
                        start_minute=int(row.start.timestamp()) // 60,
                        end_minute=int(row.end.timestamp()) // 60,
                        event_type=row.event_type,
                        import_job_id=job.pk,
                        part_id=part.pk,
                        accepted_at=part.finished_at or job.finished_at or job.created_at,
                    )
                    for row in accepted_rows(rows[start:offset], state=part.state, report=report)
                ),
                batch_size=BATCH,
            )


class Migration(migrations.Migration):
    dependencies = [("imports", "0012_accepted_events")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
