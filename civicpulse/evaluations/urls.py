from django.urls import path

from civicpulse.evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("pad/", views.pad, name="pad"),
    path("pad/pair/", views.pad_pair, name="pad_pair"),
    path("pad/current/", views.pad_current, name="pad_current"),
    path("pad/rate/", views.pad_rate, name="pad_rate"),
    path("e/<str:token>/", views.link_rate, name="link_rate"),
    path("my/cases/<str:number>/rate/<str:stage>/", views.my_case_rate, name="my_case_rate"),
    path("staff/evaluations/", views.evaluation_list, name="list"),
    path("staff/evaluations/export.csv", views.evaluation_export, name="export"),
    path("staff/evaluations/<int:evaluation_id>/", views.evaluation_detail, name="detail"),
    path("staff/evaluations/<int:evaluation_id>/review/", views.evaluation_review, name="review"),
    path("staff/evaluations/<int:evaluation_id>/identity/", views.evaluation_identity, name="identity"),
]
