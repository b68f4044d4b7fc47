from django.urls import path

from civicpulse.cases import views

app_name = "cases"
urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("intake/", views.intake, name="intake"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/files/<int:file_id>/", views.case_file, name="case_file"),
    path("cases/<str:number>/<str:action>/", views.case_action, name="case_action"),
]
