from django.urls import path

from civicpulse.accounts import views

app_name = "accounts"
urlpatterns = [
    path("organisation/", views.unit_tree, name="unit_tree"),
    path("organisation/<int:unit_id>/", views.unit_detail, name="unit_detail"),
    path("audit/", views.audit_log, name="audit"),
]
