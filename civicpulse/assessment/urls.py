from django.urls import path

from civicpulse.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("mine/", views.mine, name="mine"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/subjects/<int:subject_id>/", views.subject_detail, name="subject_detail"),
    path("runs/<int:run_id>/calibrate/", views.calibrate, name="calibrate"),
    path("adjustments/", views.adjustments, name="adjustments"),
    path("adjustments/<int:adjustment_id>/withdraw/", views.adjustment_withdraw, name="adjustment_withdraw"),
]
