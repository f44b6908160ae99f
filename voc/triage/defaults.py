"""Reference data every installation starts with: starter reply templates in polite business
Japanese (敬語) and the default business hours.

Created by migration 0002 and again after every ``migrate``/flush (``post_migrate``), so a flushed
test database or a fresh install always has them; existing rows are never overwritten.
"""

from __future__ import annotations

from typing import Any

TEMPLATES = [
    (
        "お礼（ご意見）",
        "貴重なご意見をありがとうございました（{company_name}）",
        "{customer_name}様\n\n"
        "いつも{company_name}をご利用いただき、誠にありがとうございます。\n"
        "{staff_name}でございます。\n\n"
        "{received_date}にお寄せいただいたご意見「{feedback_excerpt}」を拝見いたしました。\n"
        "お忙しいところ貴重なお声をお聞かせいただき、心より御礼申し上げます。\n"
        "いただいたご意見は担当部署と共有し、今後のサービス改善に活かしてまいります。\n\n"
        "今後とも{company_name}をよろしくお願い申し上げます。\n",
    ),
    (
        "お詫び（ご不便）",
        "ご不便をおかけし、誠に申し訳ございません（{company_name}）",
        "{customer_name}様\n\n"
        "いつも{company_name}をご利用いただき、誠にありがとうございます。\n"
        "{staff_name}でございます。\n\n"
        "このたびは「{feedback_excerpt}」とのご指摘をいただき、"
        "ご不便とご迷惑をおかけいたしましたこと、深くお詫び申し上げます。\n"
        "現在、担当部署にて原因を確認しております。"
        "詳しい状況が分かり次第、改めてご連絡させていただきます。\n\n"
        "恐れ入りますが、今しばらくお待ちいただけますと幸いです。\n"
        "何卒よろしくお願い申し上げます。\n",
    ),
    (
        "確認のお願い",
        "ご意見について確認させていただきたいことがございます（{company_name}）",
        "{customer_name}様\n\n"
        "いつも{company_name}をご利用いただき、誠にありがとうございます。\n"
        "{staff_name}でございます。\n\n"
        "{received_date}にお寄せいただいたご意見につきまして、"
        "より適切に対応させていただくため、いくつか確認させていただけますでしょうか。\n\n"
        "・ご利用の日時\n・ご利用の店舗またはサービス\n\n"
        "お手数をおかけいたしますが、本メールにご返信いただけますと幸いです。\n"
        "何卒よろしくお願い申し上げます。\n",
    ),
]


def create_defaults(*, reply_template_model: Any, settings_model: Any) -> None:
    for name, subject, body in TEMPLATES:
        reply_template_model.objects.get_or_create(
            name=name, defaults={"subject": subject, "body": body}
        )
    settings_model.objects.get_or_create(id=1, defaults={"workdays": [1, 2, 3, 4, 5]})


def create_defaults_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from voc.triage.models import ReplyTemplate, TriageSettings

    create_defaults(reply_template_model=ReplyTemplate, settings_model=TriageSettings)
