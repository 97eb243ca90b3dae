import hashlib
from typing import Any

from django.db import migrations, models


def stamp_existing(apps: Any, schema_editor: Any) -> None:
    """Give tokens issued before this migration their person's current password stamp.

    The same digest as ``xietong.api.models.password_stamp`` (kept here: a
    migration must not change when the app's code does).
    """
    ApiToken = apps.get_model("api", "ApiToken")
    for token in ApiToken.objects.select_related("person").iterator():
        token.password_stamp = hashlib.sha256(
            f"xietong.api.token:{token.person.password}".encode()
        ).hexdigest()
        token.save(update_fields=["password_stamp"])


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="password_stamp",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=64, verbose_name="密码印记"
            ),
        ),
        migrations.RunPython(stamp_existing, migrations.RunPython.noop),
    ]
