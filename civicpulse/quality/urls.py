from django.urls import path

from civicpulse.quality import views, views_internal_audits, views_reviews, views_self_assessment

app_name = "quality"
urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("nonconformities/", views.nc_list, name="nc_list"),
    path("nonconformities/<str:number>/", views.nc_detail, name="nc_detail"),
    path("documents/", views.document_register, name="document_register"),
    path("documents/mine/", views.my_documents, name="my_documents"),
    path("documents/<str:code>/", views.document_detail, name="document_detail"),
]
urlpatterns += views_reviews.urlpatterns
urlpatterns += views_internal_audits.urlpatterns
urlpatterns += views_self_assessment.urlpatterns
