# 代确认: a head's confirmation of the minutes recorded by the initiator or an administrator.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0006_meeting_cancelled"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="minutesconfirmation",
            name="proxy_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="代确认人",
            ),
        ),
        migrations.AddField(
            model_name="minutesconfirmation",
            name="proxy_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="代确认理由"),
        ),
        migrations.AddConstraint(
            model_name="minutesconfirmation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("proxy_by__isnull", True), models.Q(("proxy_reason", ""), _negated=True), _connector="OR"
                ),
                name="proxy_confirmation_has_reason",
            ),
        ),
    ]
