"""Seed the user dictionary with the shipped synonym list (voc.dictionary_seed), once."""

from django.db import migrations

from voc.dictionary_seed import SEED_SYNONYMS


def seed(apps, schema_editor):
    entry_model = apps.get_model("voc", "UserDictionaryEntry")
    existing = set(entry_model.objects.values_list("term", flat=True))
    entry_model.objects.bulk_create(
        [
            entry_model(term=term, kind="synonym", canonical=canonical, note="shipped list")
            for term, canonical in SEED_SYNONYMS
            if term not in existing
        ]
    )
    settings_model = apps.get_model("voc", "AnalysisSettings")
    from django.db.models import F

    settings_model.objects.update(dictionary_version=F("dictionary_version") + 1)


def unseed(apps, schema_editor):
    entry_model = apps.get_model("voc", "UserDictionaryEntry")
    entry_model.objects.filter(note="shipped list", term__in=[t for t, _c in SEED_SYNONYMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("voc", "0006_topics_keywords_skipped_reason")]

    operations = [migrations.RunPython(seed, unseed)]
