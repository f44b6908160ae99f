# The outbox now belongs to the platform app (engagement.platform); its table is kept.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('engagement', '0003_imports_and_linkage_index'),
        ('platform', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='OutboxMessage')],
        ),
    ]
