from django.urls import path

from civicpulse.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("catalogue/", views.service_list, name="service_list"),
    path("catalogue/lint/", views.lint_report, name="lint"),
    path("catalogue/<str:code>/", views.service_detail, name="service_detail"),
    path("catalogue/<str:code>/versions/", views.version_new, name="version_new"),
    path("catalogue/<str:code>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path(
        "catalogue/<str:code>/versions/<int:number>/<str:action>/",
        views.version_action,
        name="version_action",
    ),
]
