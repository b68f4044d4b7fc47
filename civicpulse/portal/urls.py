from django.urls import path

from civicpulse.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("services/<str:code>/", views.service_guide, name="service_guide"),
    path("track/", views.track, name="track"),
    path("halls/<str:code>/board/", views.hall_board, name="hall_board"),
]
