"""The dashboards' aggregates: one row per month and grain of what the raw records add up to.

Cells hold sums only (counts, sums of days and of waits), so any set of cells adds up to the figures of its
records; rates, means and intervals are worked out on reading (figures.py). Cells are rebuilt per month by
rollup.py, from the same rules as the assessment engine, when the audit trail shows a month's records
changed. Keys are plain integers rather than foreign keys: a month is deleted and written again as a whole,
and a cell must never hold a unit or a service back from being changed.

A grain says which key columns a row carries; the others are NULL (or "" for channels), meaning "all":
- base: unit, window, service, channel (and the rating channel): what everything else is summed from;
- unit: unit only; window: window (and the unit it serves); service: service and channel; channel:
  channel (and rating channel); staff: the person (the intake officer, the rated officer, the caller);
- tree: a unit and everything under it (unit), by channel and over both channels (channel ""): a page
  showing a scope's child units side by side reads one row per child and month, not every base cell of a
  region. A tree row depends on where units sit, so a move re-derives them (rollup.refresh);
- running: the tree rows' running totals, from the first month with cells to this one: a span's figures
  for a scope's children are two months' totals apart, whatever the span's length.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grain(models.TextChoices):
    BASE = "base", _("unit, window, service and channel")
    UNIT = "unit", _("unit")
    WINDOW = "window", _("window")
    SERVICE = "service", _("service and channel")
    CHANNEL = "channel", _("channel")
    STAFF = "staff", _("member of staff")
    TREE = "tree", _("a unit and everything under it")
    RUNNING = "running", _("a unit and everything under it, from the first month on")


class _Cell(models.Model):
    grain = models.CharField(max_length=8, choices=Grain.choices)
    month = models.DateField()
    unit_id = models.IntegerField(null=True)
    window_id = models.IntegerField(null=True)
    service_id = models.IntegerField(null=True)
    # The application channel (hall or online): the channel filter of every page.
    channel = models.CharField(max_length=10, blank=True, default="")
    staff_id = models.IntegerField(null=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.grain} {self.month:%Y-%m}"


class CaseCell(_Cell):
    """Cases by the month they were received, as counted at the last refresh."""

    started = models.IntegerField(default=0)
    immediate = models.IntegerField(default=0)
    # Interactions: the stages the cases reached (intake, acceptance, completion), and how many of them
    # the applicant rated with a valid evaluation.
    stages = models.IntegerField(default=0)
    rated_stages = models.IntegerField(default=0)
    ended = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    completed_online = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    denied = models.IntegerField(default=0)
    timed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    # Speed: over decided cases with a promised limit; expected days come from the service's own history.
    speed_n = models.IntegerField(default=0)
    days_sum = models.BigIntegerField(default=0)
    expected_sum = models.FloatField(default=0.0)
    ratio_sum = models.FloatField(default=0.0)
    at_most_once = models.IntegerField(default=0)
    zero_visit = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    supplements = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["grain", "unit_id", "month"], name="dash_case_unit_month"),
            models.Index(fields=["grain", "window_id", "month"], name="dash_case_window_month"),
            models.Index(fields=["grain", "service_id", "month"], name="dash_case_service"),
            models.Index(fields=["grain", "staff_id", "month"], name="dash_case_staff"),
            # The tree cells of a scope's children: one channel's rows (or those over both) only.
            models.Index(fields=["grain", "channel", "unit_id", "month"], name="dash_case_tree"),
        ]


class RatingCell(_Cell):
    """Evaluations by the month they were submitted, with their status as at the last refresh."""

    rating_channel = models.CharField(max_length=10, blank=True, default="")
    valid = models.IntegerField(default=0)
    good = models.IntegerField(default=0)
    neutral = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)
    excluded = models.IntegerField(default=0)
    level_1 = models.IntegerField(default=0)
    level_2 = models.IntegerField(default=0)
    level_3 = models.IntegerField(default=0)
    level_4 = models.IntegerField(default=0)
    level_5 = models.IntegerField(default=0)
    # The attitude dimension (1-5) where the template asked it, and valid bad reviews tagged "attitude".
    attitude_n = models.IntegerField(default=0)
    attitude_sum = models.IntegerField(default=0)
    attitude_bad = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["grain", "unit_id", "month"], name="dash_rating_unit_month"),
            models.Index(fields=["grain", "window_id", "month"], name="dash_rating_window_month"),
            models.Index(fields=["grain", "service_id", "month"], name="dash_rating_service"),
            models.Index(fields=["grain", "staff_id", "month"], name="dash_rating_staff"),
            models.Index(fields=["grain", "channel", "unit_id", "month"], name="dash_rating_tree"),
        ]


class WaitCell(_Cell):
    """Hall tickets called from the queue by the day they were issued, with a histogram by whole minute of
    wait (the 90th percentile is read from it to the minute), and a row per key with `minute` -1 holding
    them over all minutes."""

    minute = models.IntegerField()
    called = models.IntegerField(default=0)
    wait_micros = models.BigIntegerField(default=0)
    within_target = models.IntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["grain", "minute", "unit_id", "month"], name="dash_wait_minute_unit"),
            models.Index(fields=["grain", "minute", "window_id", "month"], name="dash_wait_minute_window"),
            # The histogram (every minute of a scope's windows) is read by unit or window, then month.
            models.Index(fields=["grain", "unit_id", "month"], name="dash_wait_unit_month"),
            models.Index(fields=["grain", "window_id", "month"], name="dash_wait_window_by_month"),
            models.Index(fields=["grain", "staff_id", "month"], name="dash_wait_staff"),
            models.Index(fields=["grain", "channel", "unit_id", "month"], name="dash_wait_tree"),
        ]


class ServiceTotal(models.Model):
    """Running totals per service: cases received and valid, bad evaluations from the first month with cells
    up to and including `month`, by application channel and over both (channel ""). A span's figures are
    the difference of two months' totals, so a region ranks its thousands of services by reading two rows
    each instead of summing a row per service and month."""

    month = models.DateField()
    service_id = models.IntegerField()
    channel = models.CharField(max_length=10, blank=True, default="")
    started = models.IntegerField(default=0)
    valid = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "channel", "service_id"], name="dash_service_total_once")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_id} {self.channel}"


class MonthState(models.Model):
    """When each month's cells were last rebuilt, and what the audit trail had reached then."""

    month = models.DateField(unique=True)
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Watermark(models.Model):
    """The last audit event whose records' months have been rebuilt: one row."""

    last_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    # The organisation tree the tree cells were summed over (a digest of every unit's path).
    tree_digest = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return str(self.last_event_id)


class ExpectedDays(models.Model):
    """What the case-mix adjusted speed of a month expects of a service's case: the mean working days of the
    service's cases received in the 365 days before the month (the assessment engine's reference)."""

    month = models.DateField()
    service_id = models.IntegerField()
    days = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "service_id"], name="dash_expected_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.service_id}: {self.days}"


class RenderedBoard(models.Model):
    """A dashboard as HTML, kept until the cells change: every process of the installation shares it (the
    worker renders the region's landing pages right after a refresh, so the first visitor does not wait)."""

    key = models.CharField(max_length=64, unique=True)
    html = models.TextField()
    refreshed_at = models.DateTimeField(null=True)
    rendered_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
