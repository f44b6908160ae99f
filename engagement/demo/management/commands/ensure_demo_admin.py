from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from engagement.demo import services


class Command(BaseCommand):
    help = "Create (or reuse) the demo superuser and print a freshly generated password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        user, password = services.ensure_demo_admin(username=username)
        lines = [
            "------------------------------------------------------------",
            " デモ用管理者アカウント / Demo admin account",
            f"   URL:                  {settings.SITE_URL.rstrip('/')}/admin/",
            f"   ユーザー名 / Username: {user.get_username()}",
            f"   表示名 / Display name: {user.get_full_name()}",
            f"   パスワード / Password: {password}",
        ]
        staff = services.ensure_demo_staff()
        if staff:
            lines.append(
                " デモ用スタッフ / Demo staff accounts (role（name）: username / password)"
            )
            lines += [f"   {role}（{who}）: {name} / {pw}" for role, name, pw, who in staff]
        lines += [
            " ※ 実行するたびに新しいパスワードになります。",
            "   A new password is generated on every run.",
            "------------------------------------------------------------",
        ]
        self.stdout.write("\n".join(lines))
