from django.urls import path

from civicpulse.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:report_id>/", views.report_detail, name="detail"),
    path("<int:report_id>/report.pdf", views.report_file, {"kind": "pdf"}, name="pdf"),
    path("<int:report_id>/report.xlsx", views.report_file, {"kind": "xlsx"}, name="xlsx"),
]
