"""Share links move here from the generations app: the table stays as it is
(``generations_sharelink``); only Django's picture of the models changes."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('generations', '0010_delete_sharelink'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='ShareLink',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('show_prompt', models.BooleanField(default=False)),
                ('view_count', models.PositiveIntegerField(default=0)),
                ('generation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='share_links', to='generations.generation')),
            ],
            options={
                'db_table': 'generations_sharelink',
                'ordering': ['-created_at'],
            },
        ),
            ],
            database_operations=[],
        ),
    ]
