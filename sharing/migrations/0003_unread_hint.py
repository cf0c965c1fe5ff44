"""Set ``Membership.unread_hint`` where the member has unread inbox entries, so the header's
count keeps showing them after the upgrade."""

from django.db import migrations


def fill(apps, schema_editor):
    Notification = apps.get_model("sharing", "Notification")
    Membership = apps.get_model("workspaces", "Membership")
    unread = Notification.objects.filter(read_at=None).values_list("user_id", "workspace_id")
    for user_id, workspace_id in set(unread):
        Membership.objects.filter(user_id=user_id, workspace_id=workspace_id).update(
            unread_hint=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0002_review"),
        ("workspaces", "0003_hints"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
