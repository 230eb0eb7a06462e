"""Incident links keep what their reason names as data (`params`) instead of English words
(`detail`), so pages write the reason in the reader's language. Existing links' words are
read back into params; `detail` is left as it was."""

import re

from django.db import migrations, models

MINUTES = re.compile(r"^started (?:(\d+) h )?(\d+) min apart$")


def words_to_params(apps, schema_editor):
    IncidentLink = apps.get_model("outages", "IncidentLink")
    for link in IncidentLink.objects.exclude(detail="").iterator():
        detail = link.detail.strip()
        params = {}
        if link.reason == "same_parent" and detail.startswith("both "):
            params = {"parent": detail.removeprefix("both ")}
        elif link.reason == "shared_provider":
            params = {"providers": [t.strip() for t in detail.split(",") if t.strip()]}
        elif match := MINUTES.match(detail):
            params = {"minutes": int(match[1] or 0) * 60 + int(match[2])}
        if params:
            IncidentLink.objects.filter(pk=link.pk).update(params=params)


class Migration(migrations.Migration):
    dependencies = [("outages", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="incidentlink",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(words_to_params, migrations.RunPython.noop),
    ]
