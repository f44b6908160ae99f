# The outbox moved from the project package (app label "engagement") to platform: the table
# stays where it is; only Django's record of which app owns the model changes.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('engagement', '0003_imports_and_linkage_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='OutboxMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('task_name', models.CharField(max_length=200)),
                        ('kwargs', models.JSONField(default=dict)),
                        ('dedup_key', models.CharField(blank=True, max_length=200, null=True)),
                        ('state', models.CharField(choices=[('pending', 'Pending'), ('sent', 'Sent to the broker'), ('done', 'Done'), ('failed', 'Failed')], default='pending', max_length=10)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('sent_at', models.DateTimeField(blank=True, null=True)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                    ],
                    options={
                        'verbose_name': 'queued task',
                        'verbose_name_plural': 'queued tasks',
                        'db_table': 'engagement_outboxmessage',
                        'ordering': ['id'],
                        'indexes': [models.Index(fields=['state', 'sent_at'], name='engagement__state_438df6_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('dedup_key__isnull', False), models.Q(('state', 'done'), _negated=True)), fields=('dedup_key',), name='outbox_open_dedup_key')],
                    },
                ),
            ],
        ),
    ]
