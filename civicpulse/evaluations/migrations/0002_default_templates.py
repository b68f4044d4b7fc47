"""The default indicator templates of domain.md §4 (version 1 of each kind)."""

from django.db import migrations
from django.utils import timezone

from civicpulse.evaluations.defaults import DEFAULTS, TAGS


def create(apps, schema_editor):
    IndicatorTemplate = apps.get_model("evaluations", "IndicatorTemplate")
    now = timezone.now()
    for kind, dimensions in DEFAULTS.items():
        IndicatorTemplate.objects.get_or_create(
            kind=kind,
            version=1,
            defaults={"dimensions": dimensions, "reason_tags": TAGS, "is_current": True, "created_at": now},
        )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
