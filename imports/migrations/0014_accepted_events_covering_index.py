"""The record's index holds every column a check reads, so that a file sent
again is answered from the index alone (docs/performance.md, issue 15). The
new index is made before the old one goes, so that look-ups never scan the
table while this runs."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0013_fill_accepted_events"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="acceptedevent",
            index=models.Index(
                fields=[
                    "account_key",
                    "end_minute",
                    "start_minute",
                    "accepted_at",
                    "agent_email",
                    "event_type",
                    "part",
                ],
                name="accepted_account_end_cover",
            ),
        ),
        migrations.RemoveIndex(
            model_name="acceptedevent",
            name="accepted_account_end",
        ),
    ]
