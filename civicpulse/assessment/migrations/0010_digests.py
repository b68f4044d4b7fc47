"""Run digests of format 2 (digests.py), and each kept row's digest so that runs add digests; kept waits
packed (stored.py)."""

from django.db import migrations, models

from civicpulse.assessment import digests, stored
from civicpulse.assessment import indicators as lib


def keep_digests(apps, schema_editor):
    # Every kept row, month or fold alike, hashes from its own counts: folds add up by construction. Its
    # counts are written again as `encode` writes them now (waits packed).
    # A batch of ids at a time: SQLite should not be written to under an open read of the same table.
    StoredCounts = apps.get_model("assessment", "StoredCounts")
    ids = list(StoredCounts.objects.order_by("pk").values_list("pk", flat=True))
    for first in range(0, len(ids), 2000):
        rows = StoredCounts.objects.filter(pk__in=ids[first : first + 2000]).values_list(
            "pk", "source", "data"
        )
        batch = []
        for pk, source, data in rows:
            values = stored.decoded(data)
            batch.append(
                StoredCounts(
                    pk=pk,
                    data=stored.encode(lib.COUNTS_OF[source](**values)),
                    digest=digests.to_bytes(digests.of_values(source, values)),
                )
            )
        StoredCounts.objects.bulk_update(batch, ["data", "digest"])


class Migration(migrations.Migration):
    dependencies = [("assessment", "0009_stored_spans")]

    operations = [
        # Runs computed before keep their format-1 digests, told apart from the new ones.
        migrations.AddField(
            model_name="run",
            name="digest_format",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="digest format"),
        ),
        migrations.AlterField(
            model_name="run",
            name="digest_format",
            field=models.PositiveSmallIntegerField(default=2, verbose_name="digest format"),
        ),
        migrations.AddField(
            model_name="storedcounts",
            name="digest",
            field=models.BinaryField(max_length=128, null=True),
        ),
        migrations.RunPython(keep_digests, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="storedcounts",
            name="digest",
            field=models.BinaryField(max_length=128),
        ),
    ]
