"""Monthly reports: asking for one (a person, the schedule or the console), generating it (the worker, or the
console synchronously), and handing its files out.

A request is idempotent: while a report of the same unit, month, language and cut-off kind waits or runs,
asking again gets that one. Once generated, asking again makes a new version; the newest generated version
is the live one and older ones stay listed. Generation writes nothing visible until both files are stored
and the row is marked done in one transaction; on any failure the files written so far are removed and the
row says failed, with the error.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from civicpulse.accounts.enums import UnitKind
from civicpulse.accounts.models import OrgUnit, User
from civicpulse.accounts.permissions import Perm, has_perm_on_unit
from civicpulse.core import clock
from civicpulse.core.audit import audit_record
from civicpulse.core.calendars import official_cn_calendar
from civicpulse.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from civicpulse.core.workdays import add_working_days
from civicpulse.reports import figures as measured
from civicpulse.reports import render
from civicpulse.reports.enums import PENDING, CutoffKind, FileKind, Language, ReportStatus
from civicpulse.reports.models import Report
from civicpulse.reports.selectors import access_report

logger = logging.getLogger(__name__)

# A report running this long was left behind by a worker that stopped: a new request replaces it, and a
# request finding one queued this long enqueues it again (the task claims a report once, so twice is safe).
STALE = dt.timedelta(minutes=60)


def default_language() -> str:
    """The language of scheduled reports: setting REPORT_LANGUAGE, else the installation's LANGUAGE_CODE."""
    configured = str(settings.CIVICPULSE.get("REPORT_LANGUAGE", "") or settings.LANGUAGE_CODE).lower()
    return configured if configured in Language.values else Language.ZH_HANS


def routine_working_day() -> int:
    """Setting REPORT_WORKING_DAY (default 3, the day routine assessment runs start): late records of the
    month have settled by then."""
    return int(str(settings.CIVICPULSE.get("REPORT_WORKING_DAY", 3)))


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    try:
        return measured.month_bounds(month)
    except ValueError:
        raise ValidationFailed(_("Give the month as 2026-10."), code="invalid_month") from None


def routine_cutoff(month: str) -> dt.datetime:
    """The start (local time) of the routine working day after the month, on the official calendar that
    times routine assessment runs."""
    _start, end = _month_bounds(month)
    day = add_working_days(official_cn_calendar(), end, routine_working_day())
    return dt.datetime.combine(day, dt.time.min, timezone.get_default_timezone())


def previous_month(today: dt.date) -> str:
    return f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"


def _key(report: Report) -> dict[str, object]:
    return {
        "unit_id": report.unit_id,
        "month": report.month,
        "language": report.language,
        "cutoff_kind": report.cutoff_kind,
    }


def _enqueue(report: Report) -> None:
    from civicpulse.reports.tasks import report_generate as task

    transaction.on_commit(functools.partial(task.enqueue, report.pk))


def _fail(report_id: int, message: str) -> None:
    with transaction.atomic():
        report = Report.objects.select_related("unit").select_for_update(of=("self",)).get(pk=report_id)
        if report.status != ReportStatus.RUNNING:
            return
        report.status, report.error, report.live = ReportStatus.FAILED, message[:2000], False
        report.save(update_fields=["status", "error", "live"])
        audit_record(
            actor=None,
            action="reports.report.failed",
            target=report,
            unit=report.unit,
            data={"error": report.error[:200]},
        )


@transaction.atomic
def report_request(
    *,
    actor: User | None,
    unit: OrgUnit,
    month: str,
    language: str = "",
    cutoff_kind: str = CutoffKind.ROUTINE,
    enqueue: bool = True,
) -> tuple[Report, bool]:
    """Ask for the report of `unit` for `month`; (the report, whether it is a new one). `actor` None is the
    schedule or the console. `enqueue` False leaves generating it to the caller (the console)."""
    if actor is not None and not has_perm_on_unit(actor, Perm.REPORT_GENERATE, unit):
        raise Forbidden(_("You may not generate reports for this unit."), code="forbidden")
    language = language or default_language()
    if language not in Language.values:
        raise ValidationFailed(_("Choose the language: zh-hans or en."), code="invalid_language")
    if cutoff_kind not in CutoffKind.values:
        raise ValidationFailed(_("Choose the cut-off: routine or current."), code="invalid_cutoff_kind")
    start, _end = _month_bounds(month)
    now = clock.now()
    if start > timezone.localdate(now):
        raise ValidationFailed(_("A report covers a month that has begun."), code="month_in_future")
    cutoff = routine_cutoff(month) if cutoff_kind == CutoffKind.ROUTINE else now
    if cutoff > now:
        raise ValidationFailed(
            _(
                "The routine cut-off of %(month)s is %(cutoff)s: until then, ask for the data as it "
                "stands now."
            )
            % {"month": month, "cutoff": f"{timezone.localtime(cutoff):%Y-%m-%d %H:%M}"},
            code="cutoff_not_reached",
        )
    key = {"unit": unit, "month": month, "language": language, "cutoff_kind": cutoff_kind}
    pending = Report.objects.select_for_update().filter(**key, status__in=PENDING).first()
    if pending is not None:
        stale = (pending.started_at or pending.requested_at) < now - STALE
        if pending.status == ReportStatus.RUNNING and stale:
            _fail(pending.pk, _("The worker stopped before the report was finished."))
        else:
            if pending.status == ReportStatus.QUEUED and stale and enqueue:
                _enqueue(pending)
            return pending, False
    version = (Report.objects.filter(**key).aggregate(n=Max("version"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            report = Report.objects.create(
                **key, cutoff=cutoff, version=version, requested_by=actor, requested_at=now
            )
    except IntegrityError:
        # Another request for the same report got in first: that one is the answer.
        existing = Report.objects.filter(**key, status__in=PENDING).first()
        if existing is None:
            raise Conflict(
                _("This report is being asked for at the same moment; try again."), code="report_busy"
            ) from None
        return existing, False
    audit_record(
        actor=actor,
        action="reports.report.requested",
        target=report,
        unit=unit,
        data={"month": month, "language": language, "cutoff_kind": cutoff_kind},
    )
    if enqueue:
        _enqueue(report)
    return report, True


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def report_generate(*, report_id: int) -> Report:
    """Generate a queued report: its figures by the assessment engine, its PDF and spreadsheet. A report
    that is not queued (taken by another worker, done, failed) is left as it is."""
    claimed = Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, started_at=clock.now()
    )
    report = Report.objects.select_related("unit").get(pk=report_id)
    if not claimed:
        return report
    written: list[FieldFile] = []
    try:
        # One transaction: the engine's counts read one snapshot, and a failure rolls back to here.
        with transaction.atomic():
            found = measured.compute(report.unit, report.month, report.cutoff)
            digest = found.digest()
            generated_at = clock.now()
            about = {
                "version": report.version,
                "generated_at": generated_at,
                "digest": digest,
                "cutoff_kind_label": CutoffKind(report.cutoff_kind).label,
            }
            pdf = render.pdf(render.html(found, language=report.language, about=about))
            xlsx = render.xlsx(found, language=report.language, about=about)
            name = f"{report.unit.code}-{report.month}-{report.language}-v{report.version}"
            report.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
            written.append(report.pdf)
            report.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
            written.append(report.xlsx)
            current = Report.objects.select_for_update().filter(pk=report.pk).values_list("status", flat=True)
            if current.first() != ReportStatus.RUNNING:
                raise Conflict(
                    _("The report was given up while it was being generated."), code="report_given_up"
                )
            Report.objects.filter(**_key(report), live=True).update(live=False)
            report.status, report.live, report.error = ReportStatus.DONE, True, ""
            report.generated_at, report.digest, report.figures = generated_at, digest, found.as_json()
            report.pdf_sha256, report.xlsx_sha256 = _sha256(pdf), _sha256(xlsx)
            report.save()
            audit_record(
                actor=None,
                action="reports.report.generated",
                target=report,
                unit=report.unit,
                data={"digest": digest[:12]},
            )
    except Exception as error:
        for file in written:
            if file.name:
                file.storage.delete(file.name)
        logger.exception("monthly report %s failed", report_id)
        _fail(report_id, f"{type(error).__name__}: {error}")
    return Report.objects.select_related("unit", "requested_by").get(pk=report_id)


def reports_routine() -> list[Report]:
    """From the routine working day of a month, ask once for last month's report of every region and every
    department, in the installation's language (the worker's periodic scan calls this). A report asked for
    already, whatever became of it, is not asked for again: a failure waits for a person to look."""
    now = clock.now()
    month = previous_month(timezone.localdate(now))
    if now < routine_cutoff(month):
        return []
    language = default_language()
    asked = set(
        Report.objects.filter(month=month, language=language, cutoff_kind=CutoffKind.ROUTINE).values_list(
            "unit_id", flat=True
        )
    )
    created = []
    for unit in OrgUnit.objects.filter(
        is_active=True, kind__in=[UnitKind.REGION, UnitKind.DEPARTMENT]
    ).order_by("path"):
        if unit.pk not in asked:
            report, _new = report_request(actor=None, unit=unit, month=month, language=language)
            created.append(report)
    return created


@transaction.atomic
def report_download(*, user: User, report_id: object, kind: str) -> Report:
    """One of a generated report's files, for someone who may see the report; every download is logged."""
    report = access_report(user, report_id)
    if kind not in FileKind.values:
        raise NotFound()
    if report.status != ReportStatus.DONE:
        raise Conflict(_("This report is not ready."), code="report_not_ready")
    audit_record(
        actor=user,
        action="reports.report.downloaded",
        target=report,
        unit=report.unit,
        data={"format": FileKind(kind).label},
    )
    return report
