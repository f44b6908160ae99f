"""Starter reply templates in polite business Japanese (敬語) and the default business hours."""

from django.db import migrations

from voc.triage.defaults import create_defaults


def create(apps, schema_editor):
    create_defaults(
        reply_template_model=apps.get_model("triage", "ReplyTemplate"),
        settings_model=apps.get_model("triage", "TriageSettings"),
    )


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
