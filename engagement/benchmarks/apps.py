from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchmarksConfig(AppConfig):
    """``manage.py bench NAME``: the benchmarks of every app, and those that span apps."""

    name = "engagement.benchmarks"
    label = "benchmarks"
    verbose_name = _("Benchmarks")
