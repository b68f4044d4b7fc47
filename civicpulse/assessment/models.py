"""Assessment schemes (versioned, published like a procedure) and runs (immutable snapshots)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from civicpulse.assessment import digests
from civicpulse.assessment.enums import (
    Grade,
    PeriodKind,
    Ranking,
    Redistribute,
    RunStatus,
    SchemeStatus,
    Subject,
)


class Scheme(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    subject = models.CharField(_("assesses"), max_length=10, choices=Subject.choices)

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SchemeVersion(models.Model):
    """One version of a scheme: its weight tables, rules and grading; published versions never change."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=12, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    period_kind = models.CharField(
        _("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    ranking = models.CharField(_("ranking"), max_length=12, choices=Ranking.choices, default=Ranking.WILSON)
    redistribute = models.CharField(
        _("weight of insufficient data"),
        max_length=12,
        choices=Redistribute.choices,
        default=Redistribute.PROPORTIONAL,
    )
    quota = models.DecimalField(_("quota for outstanding"), max_digits=4, decimal_places=3, default="0.200")
    # Above 20 % only with a recorded approval (domain.md §7), never above 25 %.
    quota_approved = models.DecimalField(
        _("approved quota"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    quota_approval = models.TextField(_("quota approval (document, date)"), blank=True)
    bands = models.JSONField(_("grade bands"), default=dict)
    coefficients = models.JSONField(_("incentive coefficients"), default=dict)
    bonus_cap = models.FloatField(_("bonus cap"), default=5.0)
    penalty_cap = models.FloatField(_("penalty cap"), default=10.0)
    # The bonus and penalty items this version scores: [{"code", "name_zh", "name_en", "points"}], points
    # > 0 for a bonus (a commendation), < 0 for a penalty (verified misconduct); totals are capped.
    adjustment_items = models.JSONField(_("bonus and penalty items"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_number_unique"),
            models.UniqueConstraint(
                fields=["scheme"], condition=Q(status="published"), name="scheme_one_published_version"
            ),
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=F("author")),
                name="scheme_version_approver_is_not_author",
            ),
            models.CheckConstraint(
                condition=Q(quota__gt=0, quota__lte="0.25"), name="scheme_version_quota_at_most_25_percent"
            ),
            models.CheckConstraint(
                condition=Q(quota__lte="0.2") | Q(quota_approved__gte=F("quota")),
                name="scheme_version_quota_above_20_needs_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"


class SchemeItem(models.Model):
    """One row of a weight table: for one peer group (a unit category or a role), one indicator."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="items")
    group = models.CharField(_("peer group"), max_length=40)
    indicator = models.CharField(_("indicator"), max_length=40)
    weight = models.FloatField(_("weight"))
    # {"kind": "linear", "floor": 0.8, "target": 0.98} | {"kind": "bands", "bands": [[0.95, 1.0], ...]}
    # | {"kind": "percentile"}
    rule = models.JSONField(_("scoring rule"))
    min_sample = models.PositiveIntegerField(_("minimum sample"))

    class Meta:
        verbose_name = _("weight")
        verbose_name_plural = _("weights")
        ordering = ["version", "group", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["version", "group", "indicator"], name="scheme_item_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="scheme_item_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.indicator} {self.weight}"


class Run(models.Model):
    """An immutable snapshot: scheme version, period, data cut-off and a digest of the inputs."""

    version = models.ForeignKey(SchemeVersion, verbose_name=_("scheme version"), on_delete=models.PROTECT)
    period = models.CharField(_("period"), max_length=10)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    cutoff = models.DateTimeField(_("data cut-off"))
    digest = models.CharField(_("input digest"), max_length=64)
    # How the digest was computed (digests.FORMAT): only digests of the same format compare.
    digest_format = models.PositiveSmallIntegerField(_("digest format"), default=digests.FORMAT)
    # Corrections after a review request make a new run that points at the one it replaces.
    number = models.PositiveIntegerField(_("run version"), default=1)
    supersedes = models.ForeignKey(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.COMPUTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("computed"))
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("finalized by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finalized_at = models.DateTimeField(_("finalized"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")
        ordering = ["-period", "version", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "period", "number"], name="run_number_unique"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="run_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.period} #{self.number}"


class RunSubject(models.Model):
    """One unit or staff member in a run: the score, its rank and grade within the peer group."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="subjects")
    group = models.CharField(_("peer group"), max_length=40)
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    probation = models.BooleanField(_("on probation"), default=False)
    coverage = models.FloatField(_("weight measured"))
    base = models.FloatField(_("base score"), null=True)
    bonus = models.FloatField(_("bonus"), default=0)
    penalty = models.FloatField(_("penalty"), default=0)
    final = models.FloatField(_("score"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, blank=True)
    # The grade the rules gave, when the assessment committee moved it (the reason is a Calibration).
    computed_grade = models.CharField(
        _("grade by the rules"), max_length=12, choices=Grade.choices, blank=True
    )
    incentive = models.FloatField(_("incentive coefficient"))

    class Meta:
        verbose_name = _("assessed subject")
        verbose_name_plural = _("assessed subjects")
        ordering = ["run", "group", "rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(staff__isnull=False),
                name="run_subject_is_a_unit_or_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.unit_id or self.staff_id}"


class RunValue(models.Model):
    """One indicator of one subject: the value with n and interval, and the points it earned."""

    # No index of its own: run_value_unique (subject, indicator) leads with it, and a run writes ten
    # thousand values at once, each maintaining every index.
    subject = models.ForeignKey(RunSubject, on_delete=models.CASCADE, related_name="values", db_index=False)
    indicator = models.CharField(_("indicator"), max_length=40)
    value = models.FloatField(_("value"), null=True)
    raw = models.FloatField(_("raw value"), null=True)
    scored = models.FloatField(_("value scored"), null=True)
    n = models.PositiveIntegerField(_("sample"))
    numerator = models.FloatField(_("numerator"))
    low = models.FloatField(_("interval low"), null=True)
    high = models.FloatField(_("interval high"), null=True)
    insufficient = models.BooleanField(_("insufficient data"))
    weight = models.FloatField(_("weight"))
    effective_weight = models.FloatField(_("weight applied"))
    points = models.FloatField(_("points"))
    funnel = models.CharField(_("funnel position"), max_length=6, blank=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["subject", "indicator"]
        constraints = [models.UniqueConstraint(fields=["subject", "indicator"], name="run_value_unique")]

    def __str__(self) -> str:
        return f"{self.indicator}={self.value}"


class ReviewRequest(models.Model):
    """A unit or person asks the committee to review their result; a correction is a new run version."""

    subject = models.ForeignKey(RunSubject, on_delete=models.PROTECT, related_name="review_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    requested_at = models.DateTimeField(_("requested"))
    answer_due = models.DateField(_("answer due"))
    status = models.CharField(_("status"), max_length=10, default="pending")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    correction = models.ForeignKey(
        Run,
        verbose_name=_("corrected run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(status="pending"),
                name="review_request_one_pending_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "corrected", "rejected"]),
                name="review_request_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.status}"


class Adjustment(models.Model):
    """A bonus or penalty item recorded against a unit or a person, e.g. a provincial commendation or
    verified misconduct. A run counts the items that occurred in its period and were recorded (and not
    withdrawn) by its cut-off, at the points its scheme version gives the item's code."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="adjustments")
    code = models.CharField(_("item"), max_length=40)
    unit = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    evidence = models.CharField(_("evidence (document number)"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("bonus or penalty item")
        verbose_name_plural = _("bonus and penalty items")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, staff__isnull=True)
                | Q(unit__isnull=True, staff__isnull=False),
                name="adjustment_is_for_a_unit_or_a_person",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_a_reason"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="adjustment_withdrawal_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} {self.code} {self.occurred_on}"


class Calibration(models.Model):
    """The assessment committee moved one grade of a computed run, inside the quota, with a reason."""

    subject = models.ForeignKey(RunSubject, on_delete=models.PROTECT, related_name="calibrations")
    from_grade = models.CharField(_("from"), max_length=12, choices=Grade.choices)
    to_grade = models.CharField(_("to"), max_length=12, choices=Grade.choices)
    reason = models.TextField(_("reason"))
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("moved by"), on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(_("moved"))

    class Meta:
        verbose_name = _("grade calibration")
        verbose_name_plural = _("grade calibrations")
        ordering = ["moved_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="calibration_has_a_reason"),
            models.CheckConstraint(condition=~Q(from_grade=F("to_grade")), name="calibration_moves_a_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.from_grade}>{self.to_grade}"


class StoredMonth(models.Model):
    """A closed month whose per-unit counts are kept (StoredCounts), as of `cutoff`: a run whose cut-off is
    later reads them instead of the raw tables when no record of the month changed in between."""

    month = models.DateField(unique=True)
    cutoff = models.DateTimeField()
    seconds = models.FloatField(default=0.0)
    # Its rectification orders were all past their deadlines at the cut-off, so their counts are kept too.
    with_rectifications = models.BooleanField(default=False)
    # What the case-mix adjustment expects of a case of each service in a period starting with this month
    # (facts.expected_days_before), as of the cut-off.
    expected_days = models.JSONField(default=dict)
    # The keys of the unit mappings (facts.UnitResolver.key) its counts are also kept folded by: those of
    # the published unit schemes when the month was kept (StoredFold).
    folds = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class StoredCounts(models.Model):
    """The counts of one source for the records that name one unit (as they name it: a section, a window)
    in one month: the engine's counts, kept so that runs fold them into assessed units without a scan."""

    month = models.DateField()
    # 1: the month's own counts; 3 or 12: a quarter's or a year's, folded from its months (StoredSpan).
    months = models.PositiveSmallIntegerField(default=1)
    unit_id = models.IntegerField()
    source = models.CharField(max_length=16)
    data = models.JSONField()
    # The counts' multiset digest (digests.py), so a run adds digests instead of writing the counts out.
    digest = models.BinaryField(max_length=digests.SIZE)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "months", "unit_id", "source"], name="stored_counts_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}+{self.months} {self.unit_id} {self.source}"


class StoredSpan(models.Model):
    """A closed quarter or year whose months' kept counts are also kept folded, per unit, so a run of the
    whole period reads one row per unit and source instead of one per month. It holds while every month
    is still the version it was folded from (`basis`: each month and the cut-off it was counted as of)."""

    first = models.DateField()
    months = models.PositiveSmallIntegerField()
    basis = models.JSONField(default=dict)
    with_rectifications = models.BooleanField(default=False)
    seconds = models.FloatField(default=0.0)
    # As StoredMonth.folds: the unit mappings the span is also kept folded by (StoredFold).
    folds = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["first", "months"], name="stored_span_once")]

    def __str__(self) -> str:
        return f"{self.first:%Y-%m}+{self.months}"


class StoredFold(models.Model):
    """The kept counts of one source over a month, quarter or year (as StoredCounts), folded by one unit
    scheme's mapping into its assessed units, all of them in one row: what the scheme's routine run reads.
    A row per unit cost a run more to fetch and parse than the rest of its work (decision 0006)."""

    month = models.DateField()
    months = models.PositiveSmallIntegerField(default=1)
    # The key of the unit mapping (facts.UnitResolver.key).
    fold = models.CharField(max_length=64)
    source = models.CharField(max_length=16)
    # JSON text (stored.encode_fold), not jsonb: PostgreSQL would rebuild a jsonb's text on every read.
    data = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "months", "fold", "source"], name="stored_fold_once"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}+{self.months} {self.fold[:8]} {self.source}"
