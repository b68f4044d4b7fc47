from django.urls import include, path

from civicpulse.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("services/<str:code>/", views.service_guide, name="service_guide"),
    path("track/", views.track, name="track"),
    path("services/<str:code>/apply/", views.apply, name="apply"),
    path("my/cases/", views.my_cases, name="my_cases"),
    path("my/cases/<str:number>/", views.my_case, name="my_case"),
    path("halls/<str:code>/board/", views.hall_board, name="hall_board"),
    path("", include("civicpulse.portal.urls_results")),
]
