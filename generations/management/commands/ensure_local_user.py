"""Create the local account on the first ``make run`` and print its login every time.

The password is generated (never a default like admin/admin) and kept in ``.local-login``
(git-ignored) so it can be shown again on the next run.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "studio"


class Command(BaseCommand):
    help = "Create the local studio account if missing and print its login."

    def handle(self, *args: object, **options: object) -> None:
        user_model = get_user_model()
        login_file = Path(settings.BASE_DIR) / ".local-login"
        user = user_model.objects.filter(username=USERNAME).first()
        if user is None or not login_file.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user = user_model.objects.create_superuser(USERNAME, "", password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            login_file.write_text(password + "\n")
            login_file.chmod(0o600)
        password = login_file.read_text().strip()
        self.stdout.write(
            self.style.SUCCESS(f"Log in at http://127.0.0.1:8000 as  {USERNAME}  /  {password}")
        )
