"""A connection has a kind (Talkdesk or Genesys Cloud) and a part a remote
id: the models are named for the general idea, the rows kept as they are."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0004_history_indexes"),
    ]

    operations = [
        migrations.RenameModel("TalkdeskConnection", "Connection"),
        migrations.RenameField("connectionagent", "talkdesk_id", "remote_id"),
        migrations.RenameField("importpart", "talkdesk_import_id", "remote_id"),
        migrations.AddField(
            model_name="connection",
            name="activity_codes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="connection",
            name="business_unit_id",
            field=models.CharField(
                blank=True,
                help_text="Genesys Cloud: the id of the business unit the schedules are for.",
                max_length=100,
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="business_unit_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="connection",
            name="business_unit_time_zone",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="connection",
            name="kind",
            field=models.CharField(
                choices=[("talkdesk", "Talkdesk"), ("genesys", "Genesys Cloud")], default="talkdesk", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="connection",
            name="week_starts_on",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="import",
            name="published",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="importpart",
            name="label",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="importpart",
            name="week_start",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="team",
            name="publish_by_default",
            field=models.BooleanField(
                default=False,
                help_text="Genesys Cloud: whether an imported schedule is published, unless the uploader says.",
            ),
        ),
        migrations.AlterField(
            model_name="connection",
            name="account",
            field=models.CharField(
                blank=True,
                help_text="Talkdesk: the account name, as in https://ACCOUNT.mytalkdesk.com.",
                max_length=100,
            ),
        ),
        migrations.AlterField(
            model_name="connection",
            name="region",
            field=models.CharField(
                choices=[
                    ("us", "Talkdesk United States (talkdeskapp.com)"),
                    ("eu", "Talkdesk Europe (talkdeskapp.eu)"),
                    ("ca", "Talkdesk Canada (talkdeskappca.com)"),
                    ("us-east-1", "Genesys Cloud Americas (US East), mypurecloud.com"),
                    ("us-east-2", "Genesys Cloud Americas (US East 2, FedRAMP), use2.us-gov-pure.cloud"),
                    ("us-west-2", "Genesys Cloud Americas (US West), usw2.pure.cloud"),
                    ("ca-central-1", "Genesys Cloud Americas (Canada), cac1.pure.cloud"),
                    ("sa-east-1", "Genesys Cloud Americas (São Paulo), sae1.pure.cloud"),
                    ("mx-central-1", "Genesys Cloud Americas (Mexico), mxc1.pure.cloud"),
                    ("eu-west-1", "Genesys Cloud EMEA (Dublin), mypurecloud.ie"),
                    ("eu-west-2", "Genesys Cloud EMEA (London), euw2.pure.cloud"),
                    ("eu-central-1", "Genesys Cloud EMEA (Frankfurt), mypurecloud.de"),
                    ("eu-central-2", "Genesys Cloud EMEA (Zurich), euc2.pure.cloud"),
                    ("me-central-1", "Genesys Cloud EMEA (UAE), mec1.pure.cloud"),
                    ("ap-south-1", "Genesys Cloud Asia Pacific (Mumbai), aps1.pure.cloud"),
                    ("ap-southeast-1", "Genesys Cloud Asia Pacific (Jakarta), apse1.pure.cloud"),
                    ("ap-southeast-2", "Genesys Cloud Asia Pacific (Sydney), mypurecloud.com.au"),
                    ("ap-northeast-1", "Genesys Cloud Asia Pacific (Tokyo), mypurecloud.jp"),
                    ("ap-northeast-2", "Genesys Cloud Asia Pacific (Seoul), apne2.pure.cloud"),
                    ("ap-northeast-3", "Genesys Cloud Asia Pacific (Osaka), apne3.pure.cloud"),
                    ("custom", "Custom base URL"),
                ],
                default="us",
                max_length=20,
            ),
        ),
    ]
