from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("official", "0001_status_pages_and_incidents")]

    operations = [
        migrations.AddField(
            model_name="statuspage",
            name="status_page",
            field=models.URLField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="statuspage",
            name="verified",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="statuspage",
            name="source",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="statuspage",
            name="polled",
            field=models.BooleanField(default=True),
        ),
        migrations.AlterField(
            model_name="statuspage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("statuspage", "Atlassian Statuspage (/api/v2/)"),
                    ("incidentio", "incident.io (Statuspage-compatible /api/v2/)"),
                    ("google", "Google status dashboard (incidents.json)"),
                    ("rss", "RSS feed"),
                    ("atom", "Atom feed"),
                    ("slack", "Slack status API v2"),
                    ("playstation", "PlayStation Network status JSON"),
                    ("apple", "Apple system status"),
                    ("paypal", "PayPal components API"),
                    ("page", "web page only (not polled)"),
                ],
                max_length=12,
            ),
        ),
    ]
