from django.urls import path

from civicpulse.rectification import views

app_name = "rectification"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("escalated/", views.escalated, name="escalated"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("repeated/", views.repeated, name="repeated"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("<int:order_id>/<str:action>/", views.order_action, name="order_action"),
]
