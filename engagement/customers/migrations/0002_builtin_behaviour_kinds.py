from django.db import migrations

BUILTIN = [
    ("purchase", "購入"),
    ("related_purchase", "関連商品の購入"),
    ("upgrade", "上位プランへのアップグレード"),
    ("premium_purchase", "プレミアム価格での購入"),
    ("referral", "友人への紹介"),
    ("review", "レビュー・UGC投稿"),
    ("sns_engagement", "SNSでのいいね・コメント"),
    ("event", "イベント・コミュニティ参加"),
    ("feedback", "企業へのフィードバック"),
    ("support_contact", "サポートへの問い合わせ"),
    ("cancellation", "解約"),
    ("reactivation", "再開"),
]


def create(apps, schema_editor):
    BehaviourKind = apps.get_model("engagement", "BehaviourKind")
    for code, name in BUILTIN:
        BehaviourKind.objects.update_or_create(
            code=code, defaults={"name": name, "is_builtin": True}
        )


def remove(apps, schema_editor):
    apps.get_model("engagement", "BehaviourKind").objects.filter(is_builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("engagement", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
