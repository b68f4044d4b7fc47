"""Kept folds by a unit mapping move to StoredFold, all of a source's assessed units in one row.

The folded rows kept per unit so far are dropped and the months forget that they were folded: kept counts
are a cache, so runs read the months' rows per unit until the worker keeps the months again.
"""

from django.db import migrations, models


def forget_folds(apps, schema_editor):
    apps.get_model("assessment", "StoredCounts").objects.exclude(fold="").delete()
    apps.get_model("assessment", "StoredMonth").objects.update(folds=[])


def forget_new_folds(apps, schema_editor):
    # Going back: StoredFold goes with its table; no month is then folded.
    apps.get_model("assessment", "StoredMonth").objects.update(folds=[])


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0012_stored_folds"),
    ]

    operations = [
        migrations.RunPython(forget_folds, forget_new_folds),
        migrations.CreateModel(
            name="StoredFold",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField()),
                ("months", models.PositiveSmallIntegerField(default=1)),
                ("fold", models.CharField(max_length=64)),
                ("source", models.CharField(max_length=16)),
                ("data", models.TextField()),
            ],
        ),
        migrations.RemoveConstraint(
            model_name="storedcounts",
            name="stored_counts_once",
        ),
        migrations.RemoveField(
            model_name="storedcounts",
            name="fold",
        ),
        migrations.AddField(
            model_name="storedspan",
            name="folds",
            field=models.JSONField(default=list),
        ),
        migrations.AddConstraint(
            model_name="storedcounts",
            constraint=models.UniqueConstraint(
                fields=("month", "months", "unit_id", "source"), name="stored_counts_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="storedfold",
            constraint=models.UniqueConstraint(
                fields=("month", "months", "fold", "source"), name="stored_fold_once"
            ),
        ),
    ]
