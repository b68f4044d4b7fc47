"""The scheme editor pages through the Django client: the list, the weight tables with live validation,
settings with the quota approval, the review cycle, read-only versions and who may do what."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicpulse.accounts.models import UnitCategory
from civicpulse.assessment import authoring, services
from civicpulse.assessment.models import Scheme, SchemeItem, SchemeVersion
from civicpulse.core.errors import Conflict, Forbidden, ValidationFailed
from civicpulse.core.models import AuditEvent

LIST = "/staff/assessment/schemes/"
HTMX = {"HX-Request": "true"}
APPROVAL = "县政府常务会议纪要〔2025〕12号, 2025-05-20"


def editor_url(version: SchemeVersion, rest: str = "") -> str:
    return f"/staff/assessment/schemes/versions/{version.pk}/{rest}"


@pytest.fixture
def draft(world) -> SchemeVersion:
    """Version 2 of the departments scheme, drafted by the quality officer from the published version 1."""
    return services.scheme_version_draft(actor=world.quality_a, scheme=world.version.scheme)


def row(indicator: str, weight: object, kind: str = "linear", **rule: str) -> dict[str, str]:
    return {
        "indicator": indicator,
        "weight": str(weight),
        "kind": kind,
        "floor": rule.get("floor", "0.5" if kind == "linear" else ""),
        "target": rule.get("target", "1" if kind == "linear" else ""),
        "bands": rule.get("bands", ""),
        "min_sample": rule.get("min_sample", "1"),
    }


def tables(*groups: tuple[str, list[dict[str, str]]], op: str = "check") -> dict[str, object]:
    """The editor's form as the browser posts it: `group-i`, and parallel lists `i-<field>` per row."""
    data: dict[str, object] = {"op": op}
    for i, (code, rows) in enumerate(groups):
        data[f"group-{i}"] = code
        for name in ("indicator", "weight", "kind", "floor", "target", "bands", "min_sample"):
            data[f"{i}-{name}"] = [r[name] for r in rows]
    return data


VALID = ("approval", [row("on_time_completion_rate", 70), row("good_review_rate", 30)])
SHORT = ("approval", [row("on_time_completion_rate", 50), row("good_review_rate", 40)])


def stored(version: SchemeVersion) -> list[tuple[str, str, float]]:
    return list(SchemeItem.objects.filter(version=version).values_list("group", "indicator", "weight"))


def events(version: SchemeVersion, action: str) -> int:
    return AuditEvent.objects.filter(
        action=action, target_type="assessment.schemeversion", target_id=str(version.pk)
    ).count()


# --- the list ---------------------------------------------------------------------------------------------


def test_the_list_shows_every_version_with_its_author_approver_and_publication(world, client_for):
    page = client_for(world.leader).get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Departments" in html and "v1" in html and "published" in html
    assert world.quality_a.display_name in html and world.leader.display_name in html
    assert f'href="{editor_url(world.version)}"' in html
    # The leader approves schemes but does not write them: no draft button.
    assert "Start a new draft" not in html


def test_an_editor_starts_a_draft_from_the_list_and_then_opens_it(world, client_for):
    client = client_for(world.quality_a)
    assert "Start a new draft" in client.get(LIST).content.decode()
    response = client.post(f"/staff/assessment/schemes/{world.version.scheme.code}/drafts/")
    draft = SchemeVersion.objects.get(scheme=world.version.scheme, number=2)
    assert response.status_code == 302 and response["Location"] == editor_url(draft)
    assert draft.status == "draft" and draft.author == world.quality_a
    assert stored(draft) == stored(world.version)
    assert events(draft, "assessment.scheme.drafted") == 1
    html = client.get(LIST).content.decode()
    assert "Open version 2 (draft)" in html and f'href="{editor_url(draft)}"' in html
    assert "Start a new draft" not in html
    # A second draft is refused with the service's message, and none is made.
    client.post(f"/staff/assessment/schemes/{world.version.scheme.code}/drafts/")
    assert SchemeVersion.objects.filter(scheme=world.version.scheme).count() == 2


def test_the_list_needs_a_bounded_number_of_queries(world, draft, client_for, django_assert_max_num_queries):
    for code in ("towns", "windows", "police"):
        scheme = Scheme.objects.create(code=code, name_zh=code, name_en=code, subject="unit")
        services.scheme_version_draft(actor=world.quality_a, scheme=scheme)
    client = client_for(world.quality_a)
    with django_assert_max_num_queries(8):
        assert client.get(LIST).status_code == 200


def test_the_run_list_links_to_the_schemes(world, client_for):
    html = client_for(world.supervisor).get("/staff/assessment/").content.decode()
    assert f'href="{LIST}"' in html


# --- the editor -----------------------------------------------------------------------------------------


def test_the_editor_shows_settings_and_one_table_per_peer_group_in_english(world, draft, client_for):
    page = client_for(world.quality_a).get(editor_url(draft))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Weight tables" in html and "Settings" in html
    assert '<option value="approval" selected>Approval departments (approval)</option>' in html
    assert "Good-review rate (%, higher is better)" in html
    assert "Average wait (minutes, lower is better)" in html
    assert 'name="0-weight" value="60"' in html and 'name="0-weight" value="40"' in html
    assert 'name="quota" value="0.2"' in html
    assert page.context["problems"] == []
    assert "No problems: the weight tables can be saved." in html


def test_the_editor_speaks_chinese_when_asked(world, draft, client_for):
    page = client_for(world.quality_a, language="zh-hans").get(editor_url(draft))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "审批部门 (approval)" in html and "好评率" in html and "按时办结率" in html
    assert "Good-review rate" not in html and "Approval departments" not in html


def test_a_staff_scheme_offers_the_roles_as_peer_groups(world, client_for):
    scheme = Scheme.objects.create(code="staff", name_zh="人员考核", name_en="Staff", subject="staff")
    draft = services.scheme_version_draft(actor=world.quality_a, scheme=scheme)
    client = client_for(world.quality_a)
    html = client.post(editor_url(draft, "items/"), {"op": "add_group"}).content.decode()
    assert '<option value="window_officer">window officer (window_officer)</option>' in html
    assert 'value="approval"' not in html


# --- live validation --------------------------------------------------------------------------------------


def test_the_live_check_lists_every_problem_and_each_total_without_saving(world, draft, client_for):
    client = client_for(world.quality_a)
    before = stored(draft)
    response = client.post(editor_url(draft, "check/"), tables(SHORT), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="scheme-problems"')
    assert "weights sum to 90" in html and "must be 100" in html and "<strong>90</strong>" in html
    unknown = ("approval", [row("on_time_completion_rate", 70), row("good_review_rate", 30, kind="magic")])
    html = client.post(editor_url(draft, "check/"), tables(unknown), headers=HTMX).content.decode()
    assert "unknown rule &#x27;magic&#x27;" in html
    assert stored(draft) == before


def test_the_live_check_names_what_cannot_be_read(world, draft, client_for):
    client = client_for(world.quality_a)
    broken = (
        "approval",
        [
            row("on_time_completion_rate", "seventy"),
            row("good_review_rate", 30, floor="", min_sample="-1"),
            row("", 0, kind="bands", bands="0.95"),
        ],
    )
    response = client.post(editor_url(draft, "check/"), tables(broken, ("", [])), headers=HTMX)
    problems = response.context["problems"]
    assert "Table approval, row 1: the weight must be a number." in problems
    assert "Table approval, row 2: floor and target must be numbers." in problems
    assert "Table approval, row 2: the minimum sample must be a whole number of 0 or more." in problems
    assert "Table approval, row 3: choose an indicator." in problems
    assert 'Table approval, row 3: give the bands as one "threshold, share" pair per line.' in problems
    assert "Choose the peer group of table 2." in problems and "Table #2 has no rows." in problems


def test_the_live_check_of_a_valid_set_finds_nothing(world, draft, client_for):
    response = client_for(world.quality_a).post(editor_url(draft, "check/"), tables(VALID), headers=HTMX)
    assert response.context["problems"] == []
    assert "No problems" in response.content.decode() and "✓" in response.content.decode()


def test_a_table_for_an_unknown_or_repeated_peer_group_is_a_problem(world, draft, client_for):
    client = client_for(world.quality_a)
    response = client.post(editor_url(draft, "check/"), tables(VALID, VALID, ("towns", VALID[1])))
    problems = response.context["problems"]
    assert "The peer group approval has more than one table." in problems
    assert "Unknown peer group towns." in problems


# --- saving -----------------------------------------------------------------------------------------------


def test_saving_valid_tables_replaces_the_draft_tables(world, draft, client_for):
    UnitCategory.objects.create(code="towns", name_zh="乡镇", name_en="Towns")
    client = client_for(world.quality_a)
    towns = ("towns", [row("good_review_rate", 100, kind="bands", bands="0.95, 1\n0.90 0.6")])
    response = client.post(editor_url(draft, "items/"), tables(VALID, towns, op="save"), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="scheme-items">')
    assert "The weight tables are saved." in html
    assert sorted(stored(draft)) == [
        ("approval", "good_review_rate", 30.0),
        ("approval", "on_time_completion_rate", 70.0),
        ("towns", "good_review_rate", 100.0),
    ]
    bands = SchemeItem.objects.get(version=draft, group="towns")
    assert bands.rule == {"kind": "bands", "bands": [[0.95, 1.0], [0.9, 0.6]]} and bands.min_sample == 1
    assert events(draft, "assessment.scheme.edited") == 1


def test_a_blank_minimum_sample_takes_the_indicator_default(world, draft, client_for):
    rows = ("approval", [row("on_time_completion_rate", 70, min_sample=""), row("good_review_rate", 30)])
    client_for(world.quality_a).post(editor_url(draft, "items/"), tables(rows, op="save"))
    assert SchemeItem.objects.get(version=draft, indicator="on_time_completion_rate").min_sample == 30


def test_saving_invalid_tables_is_refused_and_keeps_what_was_typed(world, draft, client_for):
    client = client_for(world.quality_a)
    before = stored(draft)
    response = client.post(editor_url(draft, "items/"), tables(SHORT, op="save"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The weight tables are not valid: nothing was saved." in html
    assert "weights sum to 90" in html
    assert 'name="0-weight" value="50"' in html and 'name="0-weight" value="40"' in html
    assert stored(draft) == before and events(draft, "assessment.scheme.edited") == 0


def test_rows_and_tables_are_added_and_removed_without_saving(world, draft, client_for):
    client = client_for(world.quality_a)
    before = stored(draft)
    response = client.post(editor_url(draft, "items/"), tables(VALID, op="add_row:0"), headers=HTMX)
    assert [len(g.rows) for g in response.context["groups"]] == [3]
    assert response.context["groups"][0].rows[0].weight == "70"
    response = client.post(editor_url(draft, "items/"), tables(VALID, op="add_group"), headers=HTMX)
    assert [(g.code, len(g.rows)) for g in response.context["groups"]] == [("approval", 2), ("", 1)]
    response = client.post(editor_url(draft, "items/"), tables(VALID, op="remove_row:0:0"), headers=HTMX)
    assert [r.indicator for r in response.context["groups"][0].rows] == ["good_review_rate"]
    assert "weights sum to 30" in response.content.decode()
    response = client.post(editor_url(draft, "items/"), tables(VALID, op="remove_group:0"), headers=HTMX)
    assert response.context["groups"] == []
    # Without htmx the same buttons answer with the whole page.
    page = client.post(editor_url(draft, "items/"), tables(VALID, op="add_row:0"))
    assert "<html" in page.content.decode() and len(page.context["groups"][0].rows) == 3
    assert stored(draft) == before


# --- settings ---------------------------------------------------------------------------------------------


def settings(**changes: str) -> dict[str, str]:
    form = {
        "period_kind": "month",
        "ranking": "raw",
        "redistribute": "proportional",
        "quota": "0.2",
        "quota_approved": "",
        "quota_approval": "",
        "band_outstanding": "",
        "band_competent": "",
        "band_basic": "",
        "coefficient_outstanding": "",
        "coefficient_competent": "",
        "coefficient_basic": "",
        "coefficient_incompetent": "",
        "bonus_cap": "5",
        "penalty_cap": "10",
    }
    form.update(changes)
    return form


def test_a_quota_above_20_percent_is_refused_without_an_approval(world, draft, client_for):
    client = client_for(world.quality_a)
    response = client.post(editor_url(draft, "settings/"), settings(quota="0.22"), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="scheme-settings">')
    assert "The settings are not valid." in html
    assert "A quota above 0.20 needs an approved quota at least as high" in html
    assert 'name="quota" value="0.22"' in html
    draft.refresh_from_db()
    assert draft.quota == Decimal("0.200") and events(draft, "assessment.scheme.settings_edited") == 0
    # An approved ceiling below the quota is not enough either.
    client.post(
        editor_url(draft, "settings/"), settings(quota="0.22", quota_approved="0.21", quota_approval=APPROVAL)
    )
    draft.refresh_from_db()
    assert draft.quota == Decimal("0.200")


def test_a_quota_above_20_percent_is_saved_with_its_approval(world, draft, client_for):
    client = client_for(world.quality_a)
    response = client.post(
        editor_url(draft, "settings/"),
        settings(quota="0.22", quota_approved="0.25", quota_approval=APPROVAL, ranking="shrinkage"),
    )
    assert response.status_code == 302 and response["Location"] == editor_url(draft)
    draft.refresh_from_db()
    assert (draft.quota, draft.quota_approved, draft.quota_approval) == (
        Decimal("0.220"),
        Decimal("0.250"),
        APPROVAL,
    )
    assert draft.ranking == "shrinkage" and draft.bands == {} and draft.coefficients == {}
    event = AuditEvent.objects.get(action="assessment.scheme.settings_edited", target_id=str(draft.pk))
    assert event.actor == world.quality_a
    assert event.data["changes"]["quota"] == ["0.200", "0.22"]
    assert event.data["changes"]["ranking"] == ["raw", "shrinkage"]
    assert "The settings are saved." in client.get(editor_url(draft)).content.decode()


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"quota": "0"}, "Quota for outstanding must be above 0 and at most 0.25."),
        ({"quota": "0.3"}, "Quota for outstanding must be above 0 and at most 0.25."),
        ({"quota": "lots"}, "Quota for outstanding must be a number."),
        ({"quota": "0.1234"}, "Quota for outstanding has at most three decimals."),
        (
            {"band_outstanding": "70", "band_competent": "75", "band_basic": "60"},
            "Grade bands fall from outstanding to competent to basic.",
        ),
        (
            {"band_outstanding": "120", "band_competent": "75", "band_basic": "60"},
            "Grade bands lie between 0 and 100.",
        ),
        ({"band_outstanding": "95"}, "Give the lowest score of each grade: outstanding, competent, basic."),
        (
            {
                "coefficient_outstanding": "1.5",
                "coefficient_competent": "1",
                "coefficient_basic": "-0.2",
                "coefficient_incompetent": "0",
            },
            "Give an incentive coefficient of 0 or more for each grade.",
        ),
        ({"penalty_cap": "-1"}, "Penalty cap must be a number of 0 or more."),
        ({"period_kind": "week"}, "Choose one of the listed values for period."),
    ],
)
def test_settings_are_checked_with_clear_messages(world, draft, client_for, changes, problem):
    response = client_for(world.quality_a).post(editor_url(draft, "settings/"), settings(**changes))
    assert response.status_code == 200
    assert problem in str(response.context["settings_error"].detail["problems"])
    draft.refresh_from_db()
    assert draft.bands == {} and draft.coefficients == {} and draft.quota == Decimal("0.200")


def test_bands_and_coefficients_are_saved_together(world, draft, client_for):
    client_for(world.quality_a).post(
        editor_url(draft, "settings/"),
        settings(
            band_outstanding="92",
            band_competent="80",
            band_basic="65",
            coefficient_outstanding="1.3",
            coefficient_competent="1",
            coefficient_basic="0.8",
            coefficient_incompetent="0",
            bonus_cap="3",
        ),
    )
    draft.refresh_from_db()
    assert draft.bands == {"outstanding": 92.0, "competent": 80.0, "basic": 65.0}
    assert draft.coefficients == {"outstanding": 1.3, "competent": 1.0, "basic": 0.8, "incompetent": 0.0}
    assert draft.bonus_cap == 3.0


def test_the_settings_service_keeps_what_it_is_not_given_and_guards_its_door(world, draft):
    version = authoring.scheme_version_settings_set(actor=world.admin, version=draft, penalty_cap=8)
    assert version.penalty_cap == 8.0 and version.quota == Decimal("0.200")
    with pytest.raises(Forbidden):
        authoring.scheme_version_settings_set(actor=world.leader, version=draft, penalty_cap=7)
    with pytest.raises(ValidationFailed) as refused:
        authoring.scheme_version_settings_set(actor=world.admin, version=draft, colour="red")
    assert refused.value.code == "unknown_setting"
    with pytest.raises(Conflict):
        authoring.scheme_version_settings_set(actor=world.admin, version=world.version, penalty_cap=7)


# --- bonus and penalty items -----------------------------------------------------------------------------

ITEMS = [
    {
        "code": "commended",
        "name_zh": "上级通报表扬",
        "name_en": "Commended by a higher authority",
        "points": 3,
    },
    {"code": "misconduct", "name_zh": "违反工作纪律", "name_en": "Verified misconduct", "points": -5},
]
COMMENDED = ("commended", "上级通报表扬", "Commended by a higher authority", "3")
MISCONDUCT = ("misconduct", "违反工作纪律", "Verified misconduct", "-5")


def adjustment_items(*rows: tuple[str, str, str, str], op: str = "save") -> dict[str, object]:
    """The bonus and penalty items form as the browser posts it: parallel lists `adjustment-<field>`."""
    data: dict[str, object] = {"op": op}
    for i, name in enumerate(("code", "name_zh", "name_en", "points")):
        data[f"adjustment-{name}"] = [r[i] for r in rows]
    return data


@pytest.fixture
def catalogue(world, draft) -> SchemeVersion:
    """The draft with two items: a commendation (+3) and verified misconduct (-5); caps 5 and 10."""
    return services.scheme_adjustment_items_set(actor=world.quality_a, version=draft, items=ITEMS)


def test_the_editor_shows_the_bonus_and_penalty_items_with_the_caps(world, catalogue, client_for):
    page = client_for(world.quality_a).get(editor_url(catalogue))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h2>Bonus and penalty items</h2>" in html
    assert "Bonus cap <strong>5</strong> · Penalty cap <strong>10</strong>" in html
    assert 'name="adjustment-code" value="commended"' in html
    assert 'name="adjustment-name_en" value="Verified misconduct"' in html
    assert 'name="adjustment-name_zh" value="违反工作纪律"' in html
    assert 'name="adjustment-points" value="-5"' in html
    assert "Save the bonus and penalty items" in html
    assert [row.code for row in page.context["adjustment_rows"]] == ["commended", "misconduct"]


def test_the_bonus_and_penalty_items_speak_chinese_when_asked(world, catalogue, client_for):
    html = client_for(world.quality_a, language="zh-hans").get(editor_url(catalogue)).content.decode()
    assert "<h2>加减分项目</h2>" in html
    assert "加分上限 <strong>5</strong> · 扣分上限 <strong>10</strong>" in html
    assert "<th>名称（中文）</th><th>名称（英文）</th>" in html
    assert 'value="上级通报表扬"' in html
    assert "Bonus and penalty items" not in html and "Bonus cap" not in html


def test_saving_valid_items_replaces_the_catalogue_and_is_audited(world, catalogue, client_for):
    client = client_for(world.quality_a)
    form = adjustment_items(
        ("thanks_letter", "群众感谢信", "Letter of thanks", " 1.5 "),
        ("", "", "", ""),  # a row added and left blank is left out
        (*MISCONDUCT[:3], "-10"),
    )
    response = client.post(editor_url(catalogue, "adjustment-items/"), form, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="scheme-adjustments">')
    assert "The bonus and penalty items are saved." in html
    catalogue.refresh_from_db()
    assert catalogue.adjustment_items == [
        {"code": "thanks_letter", "name_zh": "群众感谢信", "name_en": "Letter of thanks", "points": 1.5},
        {"code": "misconduct", "name_zh": "违反工作纪律", "name_en": "Verified misconduct", "points": -10.0},
    ]
    # Shown as stored: the blank row is gone.
    assert [row.code for row in response.context["adjustment_rows"]] == ["thanks_letter", "misconduct"]
    event = (
        AuditEvent.objects.filter(action="assessment.scheme.adjustments_edited", target_id=str(catalogue.pk))
        .order_by("-pk")
        .first()
    )
    assert event is not None and event.actor == world.quality_a and event.data == {"items": 2}
    # Without htmx the page is reloaded with the notice.
    response = client.post(editor_url(catalogue, "adjustment-items/"), adjustment_items(COMMENDED))
    assert response.status_code == 302 and response["Location"] == editor_url(catalogue)
    assert "The bonus and penalty items are saved." in client.get(editor_url(catalogue)).content.decode()
    catalogue.refresh_from_db()
    assert [item["code"] for item in catalogue.adjustment_items] == ["commended"]
    assert events(catalogue, "assessment.scheme.adjustments_edited") == 3  # the fixture's, then two here


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (((*COMMENDED[:3], "6"), MISCONDUCT), "commended: 6.0 points exceed the cap."),
        ((COMMENDED, (*MISCONDUCT[:3], "-12")), "misconduct: -12.0 points exceed the cap."),
        ((COMMENDED, ("commended", "表扬", "Praised", "2")), "The item commended is listed twice."),
        (
            ((*COMMENDED[:3], "0"), MISCONDUCT),
            "commended: give the points, above 0 for a bonus, below 0 for a penalty.",
        ),
        (
            ((*COMMENDED[:3], "three"), MISCONDUCT),
            "commended: give the points, above 0 for a bonus, below 0 for a penalty.",
        ),
        (
            (COMMENDED, ("misconduct", "", "Verified misconduct", "-5")),
            "Each bonus or penalty item needs a code, names and points.",
        ),
        (
            (("x" * 41, "表扬", "Praised", "2"), ("y" * 41, "表扬", "Praised", "99")),
            "Bonus or penalty item 2: the code is at most 40 characters.",
        ),
    ],
)
def test_invalid_items_are_refused_with_the_problems_and_keep_what_was_typed(
    world, catalogue, client_for, rows, problem
):
    client = client_for(world.quality_a)
    for headers in (HTMX, {}):
        response = client.post(
            editor_url(catalogue, "adjustment-items/"), adjustment_items(*rows), headers=headers
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "The bonus and penalty items are not valid." in html
        assert problem in response.context["adjustment_error"].detail["problems"]
        for code, _zh, name_en, points in rows:
            assert f'name="adjustment-code" value="{code}"' in html
            assert f'name="adjustment-name_en" value="{name_en}"' in html
            assert f'name="adjustment-points" value="{points}"' in html
    catalogue.refresh_from_db()
    assert catalogue.adjustment_items == ITEMS
    assert events(catalogue, "assessment.scheme.adjustments_edited") == 1  # the fixture's only


def test_a_long_code_is_refused_with_the_service_problems_too(world, catalogue, client_for):
    rows = (("x" * 41, "表扬", "Praised", "2"), ("y", "表扬", "Praised", "99"))
    response = client_for(world.quality_a).post(
        editor_url(catalogue, "adjustment-items/"), adjustment_items(*rows)
    )
    problems = response.context["adjustment_error"].detail["problems"]
    assert problems == [
        "Bonus or penalty item 1: the code is at most 40 characters.",
        f"{'x' * 41}: a code is letters, digits, - and _ only.",
        "y: 99.0 points exceed the cap.",
    ]
    catalogue.refresh_from_db()
    assert catalogue.adjustment_items == ITEMS


def test_item_rows_are_added_and_removed_without_saving(world, catalogue, client_for):
    client = client_for(world.quality_a)
    url = editor_url(catalogue, "adjustment-items/")
    response = client.post(url, adjustment_items(COMMENDED, MISCONDUCT, op="add_row"), headers=HTMX)
    assert response.content.decode().lstrip().startswith('<section id="scheme-adjustments">')
    assert [row.code for row in response.context["adjustment_rows"]] == ["commended", "misconduct", ""]
    response = client.post(url, adjustment_items(COMMENDED, MISCONDUCT, op="remove_row:0"), headers=HTMX)
    assert [row.code for row in response.context["adjustment_rows"]] == ["misconduct"]
    response = client.post(url, adjustment_items(COMMENDED, op="remove_row:7"), headers=HTMX)
    assert [row.code for row in response.context["adjustment_rows"]] == ["commended"]
    response = client.post(url, adjustment_items(COMMENDED, op="remove_row:0"), headers=HTMX)
    assert response.context["adjustment_rows"] == []
    assert "No bonus or penalty items." in response.content.decode()
    # Without htmx the same buttons answer with the whole page.
    page = client.post(url, adjustment_items(COMMENDED, op="add_row"))
    assert "<html" in page.content.decode() and len(page.context["adjustment_rows"]) == 2
    catalogue.refresh_from_db()
    assert catalogue.adjustment_items == ITEMS
    assert events(catalogue, "assessment.scheme.adjustments_edited") == 1


def test_saving_the_settings_updates_the_caps_shown_beside_the_items(world, catalogue, client_for):
    response = client_for(world.quality_a).post(
        editor_url(catalogue, "settings/"), settings(bonus_cap="4"), headers=HTMX
    )
    html = response.content.decode()
    assert '<p id="scheme-adjustment-caps" hx-swap-oob="true">' in html
    assert "Bonus cap <strong>4</strong>" in html


def test_the_items_of_a_published_version_are_read_only(world, client_for):
    world.version.adjustment_items = ITEMS
    world.version.save(update_fields=["adjustment_items"])
    client = client_for(world.quality_a)
    html = client.get(editor_url(world.version)).content.decode()
    assert "<h2>Bonus and penalty items</h2>" in html
    assert "<td>commended</td>" in html and "<td>+3</td>" in html and "<td>-5</td>" in html
    assert "Bonus cap <strong>5</strong>" in html
    assert 'name="adjustment-code"' not in html and "Save the bonus and penalty items" not in html
    response = client.post(editor_url(world.version, "adjustment-items/"), adjustment_items(COMMENDED))
    assert response.status_code == 200 and "Only a draft is edited." in response.content.decode()
    world.version.refresh_from_db()
    assert world.version.adjustment_items == ITEMS
    assert events(world.version, "assessment.scheme.adjustments_edited") == 0


def test_the_items_need_the_right_to_edit_schemes(world, catalogue, client_for):
    # A reader of assessments sees the draft's items, read-only.
    html = client_for(world.head_b).get(editor_url(catalogue)).content.decode()
    assert "<td>misconduct</td>" in html and 'name="adjustment-code"' not in html
    for user in (world.head_b, world.leader, world.window_officer, world.citizen):
        response = client_for(user).post(
            editor_url(catalogue, "adjustment-items/"), adjustment_items(COMMENDED)
        )
        assert response.status_code == 404
    catalogue.refresh_from_db()
    assert catalogue.adjustment_items == ITEMS
    assert events(catalogue, "assessment.scheme.adjustments_edited") == 1


# --- review and publishing --------------------------------------------------------------------------------


def test_the_author_submits_and_a_leader_approves_and_publishes(world, draft, client_for):
    author = client_for(world.quality_a)
    assert "Submit for review" in author.get(editor_url(draft)).content.decode()
    response = author.post(editor_url(draft, "transitions/submit/"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "in_review"
    leader = client_for(world.leader)
    html = leader.get(editor_url(draft)).content.decode()
    assert "Approve and publish" in html and "Send back" in html
    response = leader.post(editor_url(draft, "transitions/approve/"))
    assert response.status_code == 302
    draft.refresh_from_db()
    world.version.refresh_from_db()
    assert draft.status == "published" and draft.approver == world.leader and draft.published_at
    assert world.version.status == "retired"
    html = leader.get(editor_url(draft)).content.decode()
    assert "The version is now published." in html
    # The leader audits the whole county, so the page shows the version's history.
    assert f"{world.quality_a.display_name} submitted depts v2 for review." in html
    assert events(draft, "assessment.scheme.submit") == events(draft, "assessment.scheme.approve") == 1


def test_a_leader_sends_a_version_back_to_its_author(world, draft, client_for):
    client_for(world.quality_a).post(editor_url(draft, "transitions/submit/"))
    client_for(world.leader).post(editor_url(draft, "transitions/reject/"))
    draft.refresh_from_db()
    assert draft.status == "draft" and events(draft, "assessment.scheme.reject") == 1


def test_the_author_cannot_approve_their_own_version(world, client_for):
    # The administrator may both write and approve schemes, but never their own version.
    draft = services.scheme_version_draft(actor=world.admin, scheme=world.version.scheme)
    client = client_for(world.admin)
    client.post(editor_url(draft, "transitions/submit/"))
    response = client.post(editor_url(draft, "transitions/approve/"))
    assert response.status_code == 200
    assert "The author of a scheme version cannot approve it." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "in_review" and draft.approver is None


def test_submitting_invalid_tables_is_refused_with_the_problems(world, client_for):
    scheme = Scheme.objects.create(code="towns", name_zh="乡镇", name_en="Towns", subject="unit")
    draft = services.scheme_version_draft(actor=world.quality_a, scheme=scheme)
    response = client_for(world.quality_a).post(editor_url(draft, "transitions/submit/"))
    assert response.status_code == 200
    assert "A scheme needs at least one weight table." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_version_that_is_not_a_draft_is_read_only(world, draft, client_for):
    client = client_for(world.quality_a)
    client.post(editor_url(draft, "transitions/submit/"))
    for version in (world.version, draft):
        page = client.get(editor_url(version))
        html = page.content.decode()
        assert page.status_code == 200 and not page.context["editable"]
        assert "Only a draft is edited: this version is read-only." in html
        assert 'name="0-weight"' not in html and 'name="quota"' not in html
        assert "linear from 0.5 to 1" in html and "<strong>100</strong>" in html
    before = stored(draft)
    response = client.post(editor_url(draft, "items/"), tables(VALID, op="save"))
    assert "Only a draft is edited." in response.content.decode()
    response = client.post(editor_url(draft, "settings/"), settings(quota="0.1"))
    assert "Only a draft is edited." in response.content.decode()
    draft.refresh_from_db()
    assert stored(draft) == before and draft.quota == Decimal("0.200")


# --- access -----------------------------------------------------------------------------------------------


def test_staff_without_the_right_to_assessments_and_citizens_get_404(world, draft, client_for):
    for user in (world.window_officer, world.approver_a, world.citizen):
        client = client_for(user)
        assert client.get(LIST).status_code == 404
        assert client.get(editor_url(draft)).status_code == 404
        for rest in ("check/", "items/", "settings/", "adjustment-items/", "transitions/submit/"):
            assert client.post(editor_url(draft, rest), tables(VALID, op="save")).status_code == 404
        assert client.post(f"/staff/assessment/schemes/{draft.scheme.code}/drafts/").status_code == 404
    anonymous = client_for(None).get(editor_url(draft))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(world.leader).get(editor_url(draft)).status_code == 200
    assert client_for(world.leader).get("/staff/assessment/schemes/versions/999999/").status_code == 404
    assert stored(draft) == stored(world.version)


def test_a_reader_sees_a_draft_read_only_and_cannot_change_it(world, draft, client_for):
    client = client_for(world.head_b)
    page = client.get(editor_url(draft))
    assert page.status_code == 200 and not page.context["editable"]
    html = page.content.decode()
    assert "Editing a draft needs the right to edit schemes: you may read it." in html
    assert page.context["actions"] == [] and "Submit for review" not in html
    for rest in (
        "check/",
        "items/",
        "settings/",
        "adjustment-items/",
        "transitions/submit/",
        "transitions/approve/",
    ):
        assert client.post(editor_url(draft, rest), tables(SHORT, op="save")).status_code == 404
    assert client.post(f"/staff/assessment/schemes/{draft.scheme.code}/drafts/").status_code == 404
    # The leader approves but does not edit: submitting is not theirs.
    assert client_for(world.leader).post(editor_url(draft, "transitions/submit/")).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft" and stored(draft) == stored(world.version)
