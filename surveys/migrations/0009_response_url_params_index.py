from django.db import migrations

URL_PARAMS_INDEX = (
    'CREATE INDEX IF NOT EXISTS "response_url_params_gin" ON "surveys_response" '
    'USING gin ("url_params" jsonb_path_ops)'
)


def create_index(apps, schema_editor):
    """A filter on a URL parameter (``url_params @> '{"store": "shibuya"}'``) reads this index
    instead of every response (PostgreSQL only; see ``surveys.filters``)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(URL_PARAMS_INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "response_url_params_gin"')


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0008_merge_language_versions"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
