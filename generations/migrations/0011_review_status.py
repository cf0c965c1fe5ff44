from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0010_delete_sharelink"),
        ("workspaces", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="generation",
            name="review_status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("in_review", "In review"),
                    ("changes_requested", "Changes requested"),
                    ("approved", "Approved"),
                    ("rejected", "Rejected"),
                ],
                default="draft",
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="generation",
            index=models.Index(fields=["workspace", "review_status"], name="gen_ws_review"),
        ),
        migrations.AddIndex(
            model_name="generation",
            index=models.Index(fields=["project", "review_status"], name="gen_project_review"),
        ),
    ]
