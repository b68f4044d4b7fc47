"""The assessment tests' county with a month of work to report on: November 2025 at dept-a (cases on time,
late and open, good and bad ratings, a bad review's rectification order, hall tickets called after
different waits), a few cases in October for the trend, and one case at dept-b."""

# The workbooks parsed here are the ones the tests just wrote, not untrusted input.
# ruff: noqa: S314

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest

from civicpulse.cases import queue
from civicpulse.cases import services as cases
from civicpulse.cases.models import QueueLine
from civicpulse.core import clock
from civicpulse.evaluations import services as ev
from civicpulse.rectification import services as rect
from civicpulse.rectification.models import RectificationOrder
from civicpulse.reports import render, services
from civicpulse.reports.enums import CutoffKind
from civicpulse.reports.models import Report
from tests import factories
from tests.assessment.conftest import APPLICANT, at, case_accepted, case_decided, world  # noqa: F401

# The routine cut-off of November 2025: the start of its third working day after it (Wednesday 3rd).
CUTOFF = dt.datetime(2025, 12, 3, tzinfo=at("2025-12-03").tzinfo)
AFTER = at("2025-12-08")  # a moment after the routine cut-off, when reports are asked for


@pytest.fixture
def november(world):  # noqa: F811 - the fixture imported above
    w = world
    on_time = case_decided(w, "2025-11-03", "2025-11-05")
    late = case_decided(w, "2025-11-04", "2025-11-20")
    case_decided(w, "2025-11-06", "2025-11-07")
    case_accepted(w, "2025-11-25")
    case_decided(w, "2025-10-13", "2025-10-15")
    case_decided(w, "2025-10-14", "2025-10-30")
    with clock.frozen(at("2025-06-02")):
        factories.published_service(w, "SVC-B", "建设工程规划许可", unit=w.dept_b)
    with clock.frozen(at("2025-11-10")):
        cases.case_intake(
            actor=w.citizen,
            service_code="SVC-B",
            channel="online",
            applicant=APPLICANT,
            submitted_positions=[1, 2],
        )
    with clock.frozen(at("2025-11-21")):
        for case, level in ((on_time, 5), (late, 1)):
            ev.evaluation_submit(
                case=case,
                stage="completion",
                channel="link",
                rating=ev.Rating(level, {}, ["slow"] if level <= 2 else []),
                as_applicant=True,
            )
    order = RectificationOrder.objects.get()
    with clock.frozen(at("2025-11-21", 15)):
        rect.order_transition(
            actor=w.head_a, order=order, transition="contact", details=rect.Details(call_notes="Called back.")
        )
    line = QueueLine.objects.create(hall=w.hall, prefix="A", name_zh="综合受理", name_en="General intake")
    line.windows.add(w.window)
    for minute, wait in ((0, 5), (10, 12), (30, 25)):
        with clock.frozen(at("2025-11-12", 9) + dt.timedelta(minutes=minute)):
            queue.ticket_issue(hall=w.hall, prefix="A")
        with clock.frozen(at("2025-11-12", 9) + dt.timedelta(minutes=minute + wait)):
            ticket = queue.ticket_call_next(actor=w.window_officer, window=w.window)
            queue.ticket_act(actor=w.window_officer, ticket=ticket, action="start")
            queue.ticket_act(actor=w.window_officer, ticket=ticket, action="finish")
    w.order = order
    return w


def generated(unit, language="en", *, month="2025-11", kind=CutoffKind.ROUTINE, actor=None) -> Report:
    with clock.frozen(AFTER):
        report, _created = services.report_request(
            actor=actor, unit=unit, month=month, language=language, cutoff_kind=kind, enqueue=False
        )
        return services.report_generate(report_id=report.pk)


@pytest.fixture
def reports(november, monkeypatch):
    """Done reports of the region, dept-a and dept-b, and a queued one of dept-a's section. Their PDFs are
    stand-ins (what a PDF shows is test_generation's concern; laying one out takes half a second)."""
    monkeypatch.setattr(render, "pdf", lambda html: b"%PDF-1.7 " + html.encode()[:200])
    done = {unit: generated(getattr(november, unit)) for unit in ("region", "dept_a", "dept_b")}
    with clock.frozen(AFTER):
        services.report_request(actor=None, unit=november.section_a1, month="2025-11", enqueue=False)
    november.reports = done
    return november


# --- reading a workbook back without a spreadsheet library -------------------------------------------------

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters is not None
    number = 0
    for letter in letters[0]:
        number = number * 26 + ord(letter) - 64
    return number - 1


def workbook(content: bytes) -> dict[str, list[list[object]]]:
    """Sheet name -> rows of cell values (numbers as floats, text as str, booleans as bool, blank None),
    and "formats" -> for each sheet, the number format of each cell by (row, column)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    strings = [
        "".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
        for si in ElementTree.fromstring(archive.read("xl/sharedStrings.xml")).findall("m:si", _NS)
    ]
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    sheets: dict[str, list[list[object]]] = {}
    for sheet in ElementTree.fromstring(archive.read("xl/workbook.xml")).find("m:sheets", _NS) or []:
        xml = ElementTree.fromstring(archive.read(f"xl/{targets[sheet.get(_REL)]}"))
        rows: list[list[object]] = []
        for row in xml.iter(f"{{{_NS['m']}}}row"):
            index = int(row.get("r", "0")) - 1
            while len(rows) <= index:
                rows.append([])
            for cell in row.findall("m:c", _NS):
                column = _column(cell.get("r", "A"))
                value_node = cell.find("m:v", _NS)
                value: object = None
                if value_node is not None and value_node.text is not None:
                    kind = cell.get("t", "n")
                    if kind == "s":
                        value = strings[int(value_node.text)]
                    elif kind == "b":
                        value = value_node.text == "1"
                    elif kind == "str":
                        value = value_node.text
                    else:
                        value = float(value_node.text)
                while len(rows[index]) <= column:
                    rows[index].append(None)
                rows[index][column] = value
        sheets[str(sheet.get("name"))] = rows
    return sheets


def number_formats(content: bytes, sheet_index: int = 1) -> dict[str, str]:
    """Cell reference -> its number format code, for one sheet (1 is the first)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    codes = {"0": "General", "14": "m/d/yyyy"}
    for fmt in styles.iter(f"{{{_NS['m']}}}numFmt"):
        codes[str(fmt.get("numFmtId"))] = str(fmt.get("formatCode"))
    cell_xfs = styles.find("m:cellXfs", _NS)
    assert cell_xfs is not None
    by_style = [codes.get(str(xf.get("numFmtId", "0")), "General") for xf in cell_xfs]
    xml = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{sheet_index}.xml"))
    return {str(c.get("r")): by_style[int(c.get("s", "0"))] for c in xml.iter(f"{{{_NS['m']}}}c")}
