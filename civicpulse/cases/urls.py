from django.urls import path

from civicpulse.cases import views

app_name = "cases"
urlpatterns = [
    path("desk/", views.desk, name="desk"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/<str:action>/", views.case_action, name="case_action"),
]
