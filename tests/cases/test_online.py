"""A citizen applies online with uploads; bad files are refused and nothing is kept."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicpulse.cases.models import Case, CaseFile
from civicpulse.cases.uploads import check_upload
from tests import factories

PDF = b"%PDF-1.7\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


@pytest.fixture
def service(county):
    factories.published_service(county, "SVC-1")
    return county


def form(**files):
    return {"name": "王小明", "id_number": "110101199003071234", "phone": "13812345678", **files}


def test_a_citizen_applies_online_and_sees_the_case(service, client_for):
    client = client_for(service.citizen, language="en")
    response = client.post(
        "/services/SVC-1/apply/",
        form(
            **{
                "material-1": SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf"),
                "material-2": SimpleUploadedFile("id.png", PNG, content_type="image/png"),
            }
        ),
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/my/cases/{case.number}/"
    assert case.channel == "online" and case.applicant == service.citizen
    assert sorted(CaseFile.objects.values_list("content_type", flat=True)) == ["application/pdf", "image/png"]
    assert list(case.materials.values_list("submitted", flat=True)) == [True, True]
    assert case.number in client.get("/my/cases/").content.decode()
    assert "received case" in client.get(f"/my/cases/{case.number}/").content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"0" * 50, content_type="application/pdf"),
            "is not a PDF, JPEG or PNG document",
        ),
        (SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"), "is empty"),
    ],
)
def test_a_bad_file_refuses_the_whole_application(service, client_for, upload, message):
    response = client_for(service.citizen, language="en").post(
        "/services/SVC-1/apply/",
        form(**{"material-1": SimpleUploadedFile("ok.pdf", PDF), "material-2": upload}),
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Case.objects.exists() and not CaseFile.objects.exists()


def test_staff_and_strangers_cannot_use_the_citizen_pages(service, client_for):
    assert client_for(service.head_a).get("/services/SVC-1/apply/").status_code == 404
    assert client_for(None).get("/services/SVC-1/apply/").status_code == 302
    assert client_for(service.head_a).get("/my/cases/").status_code == 404


@pytest.mark.parametrize(
    ("head", "size", "expected"),
    [
        (PDF, 10, ("application/pdf", None)),
        (PNG, 10, ("image/png", None)),
        (b"\xff\xd8\xff\xe0", 10, ("image/jpeg", None)),
        (b"GIF89a", 10, (None, "unsupported_type")),
        (PDF, 0, (None, "empty")),
        (PDF, 11, (None, "too_large")),
    ],
)
def test_uploads_are_judged_by_their_bytes_and_size(head, size, expected):
    result = check_upload(head, size, max_bytes=10)
    assert (result.content_type, result.problem) == expected


def test_staff_who_may_see_the_case_open_its_files_and_each_look_is_logged(service, client_for):
    from civicpulse.core.models import AuditEvent

    client_for(service.citizen).post(
        "/services/SVC-1/apply/",
        form(**{"material-1": SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf")}),
    )
    case = Case.objects.get()
    upload = CaseFile.objects.get()
    url = f"/staff/cases/{case.number}/files/{upload.pk}/"
    head = client_for(service.head_a, language="en")
    assert f'href="{url}"' in head.get(f"/staff/cases/{case.number}/").content.decode()
    response = head.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "sandbox" in response["Content-Security-Policy"]
    assert AuditEvent.objects.filter(action="cases.case.file_viewed", target_id=str(case.pk)).count() == 1
    # Staff of another department, the public and a file of another case: 404 alike, nothing logged.
    assert client_for(service.head_b).get(url).status_code == 404
    assert client_for(None).get(url).status_code in (302, 404)
    assert head.get(f"/staff/cases/{case.number}/files/{upload.pk + 999}/").status_code == 404
    assert AuditEvent.objects.filter(action="cases.case.file_viewed").count() == 1
