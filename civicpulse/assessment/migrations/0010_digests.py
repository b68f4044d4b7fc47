"""Run digests of format 2 (digests.py), and each kept row's digest so that runs add digests; kept
histograms written by column (stored.py).

The encoding below is a copy of stored.py's as this migration was written, so that a later change there
does not change what this migration writes. `digests` is imported: format 2 is fixed by definition.
"""

import sys
from array import array
from base64 import b64decode, b64encode

from django.db import migrations, models

from civicpulse.assessment import digests

_TUPLE_KEYS = {"valid", "limits", "speeds"}
_PACKED = {"waits"}


def _decoded(data):
    # Rows kept before this migration hold a histogram as a list of [*key, count]; rows already written by
    # column (a second pass) are read back too.
    values = {}
    for name, value in data.items():
        if isinstance(value, list):
            tuple_keys = name in _TUPLE_KEYS
            values[name] = {(tuple(key) if tuple_keys else key[0]): n for *key, n in value}
        elif isinstance(value, dict) and name in _PACKED:
            keys, counts = array("d"), array("q")
            keys.frombytes(b64decode(value["keys"]))
            counts.frombytes(b64decode(value["counts"]))
            if sys.byteorder == "big":
                keys.byteswap()
                counts.byteswap()
            values[name] = dict(zip(keys, counts, strict=True))
        elif isinstance(value, dict):
            columns = value["columns"]
            keys = zip(*columns, strict=True) if name in _TUPLE_KEYS else columns[0]
            values[name] = dict(zip(keys, value["counts"], strict=True))
        else:
            values[name] = value
    return values


def _encoded(values):
    data = {}
    for name, value in values.items():
        if not isinstance(value, dict):
            if value:
                data[name] = value
        elif name in _PACKED:
            keys = sorted(value)
            packed, counts = array("d", keys), array("q", [value[k] for k in keys])
            if sys.byteorder == "big":
                packed.byteswap()
                counts.byteswap()
            data[name] = {
                "keys": b64encode(packed.tobytes()).decode("ascii"),
                "counts": b64encode(counts.tobytes()).decode("ascii"),
            }
        else:
            keys = sorted(value, key=repr)
            parts = [list(part) for part in zip(*keys, strict=True)] if name in _TUPLE_KEYS else [keys]
            data[name] = {"columns": parts, "counts": [value[k] for k in keys]}
    return data


def keep_digests(apps, schema_editor):
    # Every kept row, month or fold alike, hashes from its own counts: folds add up by construction.
    # A batch of ids at a time: SQLite should not be written to under an open read of the same table.
    StoredCounts = apps.get_model("assessment", "StoredCounts")
    ids = list(StoredCounts.objects.order_by("pk").values_list("pk", flat=True))
    for first in range(0, len(ids), 2000):
        rows = StoredCounts.objects.filter(pk__in=ids[first : first + 2000]).values_list(
            "pk", "source", "data"
        )
        batch = []
        for pk, source, data in rows:
            values = _decoded(data)
            digest = digests.to_bytes(digests.of_values(source, values))
            batch.append(StoredCounts(pk=pk, data=_encoded(values), digest=digest))
        StoredCounts.objects.bulk_update(batch, ["data", "digest"])


def forget_kept_counts(apps, schema_editor):
    # Going back: the older code cannot read rows written by column. Kept counts are a cache: without
    # them runs count the raw tables until `civicpulse dashboards rebuild` (or the worker's refresh of a
    # month that changes) keeps them again.
    for name in ("StoredCounts", "StoredSpan", "StoredMonth"):
        apps.get_model("assessment", name).objects.all().delete()


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
        migrations.RunPython(keep_digests, forget_kept_counts),
        migrations.AlterField(
            model_name="storedcounts",
            name="digest",
            field=models.BinaryField(max_length=128),
        ),
    ]
