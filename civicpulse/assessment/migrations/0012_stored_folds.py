"""Kept months also folded by the unit mappings of the published unit schemes (stored.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0011_run_value_subject_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="storedcounts",
            name="stored_counts_once",
        ),
        migrations.AddField(
            model_name="storedcounts",
            name="fold",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="storedmonth",
            name="folds",
            field=models.JSONField(default=list),
        ),
        migrations.AddConstraint(
            model_name="storedcounts",
            constraint=models.UniqueConstraint(
                fields=("month", "months", "fold", "unit_id", "source"), name="stored_counts_once"
            ),
        ),
    ]
