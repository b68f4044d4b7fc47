"""The dashboards' filters: period, unit subtree, service and channel, from the query string."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from civicpulse.accounts.models import OrgUnit, User
from civicpulse.catalogue.models import Service
from civicpulse.core.errors import NotFound
from civicpulse.dashboards.panels import query_string
from civicpulse.dashboards.selectors import CHANNELS, Filters, covered_units, default_span, scope_unit

# A span longer than this is refused: the pages read months, and five years is more than anyone reads.
MAX_MONTHS = 60


def _parse_month(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="month") from None


class FilterForm(forms.Form):
    unit = forms.IntegerField(required=False, label=_("Unit"))
    start = forms.CharField(required=False, label=_("From (month)"), max_length=7)
    end = forms.CharField(required=False, label=_("To (month)"), max_length=7)
    service = forms.CharField(required=False, label=_("Service code"), max_length=40)
    channel = forms.ChoiceField(
        required=False,
        label=_("Channel"),
        choices=[("", _("All channels")), ("hall", _("service hall window")), ("online", _("online"))],
    )

    def __init__(self, *, user: User, today: dt.date, data: Any = None) -> None:
        super().__init__(data=data)
        self.user = user
        self.today = today
        self.tops = covered_units(user)
        self._filters: Filters | None = None
        self.chosen_service: Service | None = None

    def clean_start(self) -> dt.date | None:
        text = self.cleaned_data.get("start") or ""
        return _parse_month(text) if text else None

    def clean_end(self) -> dt.date | None:
        text = self.cleaned_data.get("end") or ""
        return _parse_month(text) if text else None

    def clean_unit(self) -> OrgUnit | None:
        unit_id = self.cleaned_data.get("unit")
        if unit_id is None:
            return None
        try:
            return scope_unit(self.user, unit_id)
        except NotFound:
            raise forms.ValidationError(_("You do not have access to this unit."), code="unit") from None

    def clean_service(self) -> Service | None:
        code = (self.cleaned_data.get("service") or "").strip()
        if not code:
            return None
        found = Service.objects.filter(code=code).first()
        if found is None:
            raise forms.ValidationError(_("No service has this code."), code="service")
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The last month comes before the first."))
            elif (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
                self.add_error("end", _("Choose at most %(n)d months.") % {"n": MAX_MONTHS})
        return data

    def filters(self) -> Filters:
        """The filters asked for; a field that is not valid keeps its default (and shows its error)."""
        if self._filters is not None:
            return self._filters
        if not self.tops:
            raise NotFound()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if self.is_bound and not self.is_valid():
            data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        default_start, default_end = default_span(self.today)
        start = data.get("start") or default_start
        end = data.get("end") or (default_end if start <= default_end else start)
        if start > end:
            start, end = default_start, default_end
        self.chosen_service = data.get("service")
        channel = data.get("channel") or ""
        self._filters = Filters(
            unit=data.get("unit") or self.tops[0],
            start=start.replace(day=1),
            end=end.replace(day=1),
            service_id=self.chosen_service.pk if self.chosen_service else None,
            channel=channel if channel in CHANNELS else "",
        )
        return self._filters

    def query(self) -> str:
        """The filters as a query string (links keep them)."""
        return query_string(self.filters(), self.chosen_service.code if self.chosen_service else "")

    def unit_options(self) -> SafeString:
        """The <option>s of the unit filter: the covered units, the way down to the current scope, and its
        children (a region's thousands of units are reached by clicking through, not by one long list)."""
        f = self.filters()
        ancestors = [int(p) for p in f.unit.path.strip("/").split("/") if p]
        chosen = {u.pk for u in self.tops} | set(ancestors)
        fields = ("pk", "path", "depth", "name_zh", "name_en")
        rows = list(OrgUnit.objects.filter(pk__in=chosen, is_active=True).values_list(*fields))
        rows += list(OrgUnit.objects.filter(parent=f.unit, is_active=True).values_list(*fields))
        covered = [r for r in rows if any(r[1].startswith(t.path) for t in self.tops)]
        ordered = sorted({r[0]: r for r in covered}.values(), key=lambda r: r[1])
        top = min((r[2] for r in ordered), default=0)
        zh = (get_language() or "").startswith("zh")
        return format_html_join(
            "",
            '<option value="{}"{}>{}{}</option>',
            (
                (
                    pk,
                    mark_safe(" selected") if pk == f.unit.pk else "",
                    "\u2003" * (depth - top),
                    name_zh if zh else en,
                )
                for pk, _path, depth, name_zh, en in ordered
            ),
        )
