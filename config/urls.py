from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

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
    path("", include("civicpulse.portal.urls")),
]
