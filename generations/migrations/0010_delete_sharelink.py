"""ShareLink now belongs to the sharing app (sharing/migrations/0001_initial.py), which
keeps this table: only the state changes here."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('generations', '0009_workspace_required'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ShareLink")],
            database_operations=[],
        ),
    ]
