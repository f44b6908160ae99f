import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0002_builtin_behaviour_kinds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="behaviourrecord",
            index=models.Index(
                fields=["customer", "kind", "occurred_at"], name="behaviour_cust_kind_time"
            ),
        ),
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("kind", models.CharField(choices=[("customers", "Customers"), ("behaviours", "Behaviour records")], max_length=20, verbose_name="kind")),
                ("status", models.CharField(choices=[("pending", "Waiting"), ("validating", "Checking the file"), ("importing", "Importing"), ("done", "Done"), ("failed", "Failed")], default="pending", max_length=20, verbose_name="status")),
                ("file", models.FileField(blank=True, upload_to="imports/", verbose_name="file")),
                ("original_name", models.CharField(blank=True, max_length=255, verbose_name="file name")),
                ("skip_invalid", models.BooleanField(default=False, verbose_name="import the valid rows only")),
                ("rows_total", models.PositiveIntegerField(default=0, verbose_name="rows")),
                ("rows_done", models.PositiveIntegerField(default=0, verbose_name="rows processed")),
                ("created_count", models.PositiveIntegerField(default=0, verbose_name="created")),
                ("updated_count", models.PositiveIntegerField(default=0, verbose_name="updated")),
                ("skipped_count", models.PositiveIntegerField(default=0, verbose_name="skipped")),
                ("errors", models.JSONField(blank=True, default=list, verbose_name="errors")),
                ("message", models.TextField(blank=True, verbose_name="message")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="started by")),
            ],
            options={
                "verbose_name": "import",
                "verbose_name_plural": "imports",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("rows_done__lte", models.F("rows_total")), ("rows_total", 0), _connector="OR"),
                        name="importjob_progress",
                    )
                ],
            },
        ),
    ]
