from django.urls import path

from civicpulse.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("records/", views.records, name="records"),
    path("<str:lens>/", views.page, name="page"),
]
