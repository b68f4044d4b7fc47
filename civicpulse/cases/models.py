from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicpulse.cases.enums import CaseStatus, Channel, Decision, PauseKind, SlaState, TicketStatus, VisitKind


class Case(models.Model):
    """One application by one applicant (办件), with the procedure version and calendar of its intake.

    Applicant details are personal data: they are shown masked in lists, logs and exports (`__str__` is the
    case number only).
    """

    number = models.CharField(_("case number"), max_length=20, unique=True)
    # HMAC of the verification code given to the applicant at intake; the code itself is never stored.
    verification_digest = models.CharField(max_length=64, blank=True, editable=False)
    service = models.ForeignKey("catalogue.Service", verbose_name=_("service"), on_delete=models.PROTECT)
    version = models.ForeignKey(
        "catalogue.ProcedureVersion", verbose_name=_("procedure version"), on_delete=models.PROTECT
    )
    # The unit answerable for the case ("whoever handled it is responsible"): the service's unit at intake.
    responsible_unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="cases"
    )
    calendar = models.JSONField(_("calendar at intake"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    window = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("window"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    intake_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("intake officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant_name = models.CharField(_("applicant name"), max_length=100)
    applicant_id_number = models.CharField(_("applicant ID number"), max_length=30)
    applicant_phone = models.CharField(_("applicant phone"), max_length=20)
    applicant_email = models.EmailField(_("applicant e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    step_position = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    # The current step's own clock: its budget is copied when the step begins, like the version itself.
    step_started_on = models.DateField(_("step began"), null=True, blank=True)
    step_budget_days = models.PositiveSmallIntegerField(
        _("step budget (working days)"), null=True, blank=True
    )
    step_due_date = models.DateField(_("step due date"), null=True, blank=True)
    step_overdue = models.BooleanField(_("step overdue"), default=False)
    limit_days = models.PositiveSmallIntegerField(_("promised limit (working days)"))
    intake_at = models.DateTimeField(_("received"))
    intake_date = models.DateField(_("intake date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    sla_state = models.CharField(
        _("time-limit state"), max_length=10, choices=SlaState.choices, default=SlaState.ON_TRACK
    )
    # When the department took the case in, or refused it at intake: the acceptance stage was reached.
    accepted_at = models.DateTimeField(_("accepted or refused"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Working days used up to the decision, statutory pauses taken out: fixed once decided, so assessment
    # sums it in SQL instead of re-running every case's calendar.
    working_days = models.PositiveSmallIntegerField(_("working days used"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-intake_at"]
        indexes = [
            models.Index(fields=["status", "sla_state"]),
            models.Index(fields=["due_date"]),
            # Assessment reads a period's cases by the day they were received.
            models.Index(fields=["intake_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=CaseStatus.DECIDED, decision__in=Decision.values)
                | ~Q(status=CaseStatus.DECIDED),
                name="case_decided_has_a_decision",
            ),
            models.CheckConstraint(
                condition=~Q(channel=Channel.HALL) | Q(window__isnull=False),
                name="case_hall_intake_names_its_window",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField()
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    submitted = models.BooleanField(_("submitted"), default=False)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="case_material_position_unique")
        ]

    def __str__(self) -> str:
        return self.name_zh


class CasePause(models.Model):
    """A statutory pause: the clock stops from the day after `started_at` up to and including `ended_at`."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(_("kind"), max_length=20, choices=PauseKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    # For supplement requests: every missing material, told at once (一次性告知).
    missing = models.JSONField(_("missing materials"), default=list, blank=True)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["case", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_at__isnull=True), name="case_one_open_pause"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="case_pause_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"


class Visit(models.Model):
    """An in-person trip by the applicant: what "run at most once" counts."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind.choices)
    at = models.DateTimeField(_("time"))
    window = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["case", "at"]

    def __str__(self) -> str:
        return f"{self.case} {self.kind}"


class QueueLine(models.Model):
    """A queue at a service hall (取号 by service group): tickets A001, A002... each day."""

    hall = models.ForeignKey(
        "accounts.OrgUnit",
        verbose_name=_("service hall"),
        on_delete=models.PROTECT,
        related_name="queue_lines",
    )
    prefix = models.CharField(_("ticket prefix"), max_length=2)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    windows = models.ManyToManyField(
        "accounts.OrgUnit",
        verbose_name=_("windows that call this queue"),
        related_name="queue_lines_served",
        blank=True,
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["hall", "prefix"]
        constraints = [models.UniqueConstraint(fields=["hall", "prefix"], name="queue_line_prefix_unique")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name_zh}"


class Ticket(models.Model):
    line = models.ForeignKey(QueueLine, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("day"))
    sequence = models.PositiveIntegerField()
    status = models.CharField(
        _("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    window = models.ForeignKey(
        "accounts.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"))
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    served_at = models.DateTimeField(_("service started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["line", "day", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["line", "day", "sequence"], name="ticket_number_unique_per_day"),
            models.CheckConstraint(
                condition=Q(status=TicketStatus.WAITING) | Q(window__isnull=False),
                name="ticket_called_at_a_window",
            ),
        ]
        indexes = [models.Index(fields=["line", "status", "day"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.line.prefix}{self.sequence:03d}"

    @property
    def wait_minutes(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60


class CaseFile(models.Model):
    """A document uploaded for one material of a case. Stored outside the web root; never served publicly."""

    material = models.ForeignKey(CaseMaterial, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        ordering = ["material", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name
