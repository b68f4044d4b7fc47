from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from civicpulse.core import views as core_views
from civicpulse.rectification import views as rectification_views
from config.api import api

admin.site.site_header = "CivicPulse"
admin.site.site_title = "CivicPulse"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/", include("civicpulse.catalogue.urls")),
    path("staff/", include("civicpulse.accounts.urls")),
    path("staff/", include("civicpulse.cases.urls")),
    path("", include("civicpulse.evaluations.urls")),
    # The citizen's side of a rectification sits with their own case.
    path(
        "my/cases/<str:number>/rectification/<int:order_id>/rate/",
        rectification_views.citizen_rate,
        name="rectification_citizen_rate",
    ),
    path("staff/rectification/", include("civicpulse.rectification.urls")),
    path("staff/assessment/", include("civicpulse.assessment.urls")),
    path("staff/quality/", include("civicpulse.quality.urls")),
    path("staff/dashboards/", include("civicpulse.dashboards.urls")),
    path("staff/reports/", include("civicpulse.reports.urls")),
    path("staff/exchange/", include("civicpulse.exchange.urls")),
    path("open311/v2/", include("civicpulse.open311.urls")),
    path("staff/publication/", include("civicpulse.publication.urls")),
    path("inbox/", core_views.inbox, name="inbox"),
    path("inbox/read/", core_views.inbox_mark_read, name="inbox_mark_read"),
    path("", include("civicpulse.portal.urls")),
]
