from django.urls import path

from civicpulse.assessment import editor, views

app_name = "assessment"
urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("mine/", views.mine, name="mine"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/subjects/<int:subject_id>/", views.subject_detail, name="subject_detail"),
    path("runs/<int:run_id>/calibrate/", views.calibrate, name="calibrate"),
    path("adjustments/", views.adjustments, name="adjustments"),
    path("reviews/", views.reviews, name="reviews"),
    path("adjustments/<int:adjustment_id>/withdraw/", views.adjustment_withdraw, name="adjustment_withdraw"),
]
# The scheme editor (civicpulse/assessment/editor.py).
urlpatterns += [
    path("schemes/", editor.scheme_list, name="scheme_list"),
    path("schemes/<slug:code>/drafts/", editor.scheme_draft, name="scheme_draft"),
    path("schemes/versions/<int:version_id>/", editor.scheme_editor, name="scheme_editor"),
    path("schemes/versions/<int:version_id>/check/", editor.scheme_check, name="scheme_check"),
    path("schemes/versions/<int:version_id>/items/", editor.scheme_items, name="scheme_items"),
    path("schemes/versions/<int:version_id>/settings/", editor.scheme_settings, name="scheme_settings"),
    path(
        "schemes/versions/<int:version_id>/adjustment-items/",
        editor.scheme_adjustment_items,
        name="scheme_adjustment_items",
    ),
    path(
        "schemes/versions/<int:version_id>/transitions/<str:action>/",
        editor.scheme_transition,
        name="scheme_transition",
    ),
]
