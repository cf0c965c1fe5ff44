"""Version stacks: every existing clip becomes v1 of a stack of its own (named by its id)."""

from django.db import migrations, models
from django.db.models import F


def own_stacks(apps, schema_editor):
    apps.get_model("generations", "Generation").objects.update(stack=F("id"))


class Migration(migrations.Migration):
    dependencies = [("generations", "0011_review_status")]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="stack",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="generation",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.RunPython(own_stacks, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="generation",
            constraint=models.UniqueConstraint(
                fields=("stack", "version"), name="gen_stack_version"
            ),
        ),
    ]
