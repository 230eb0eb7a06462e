from django.urls import path

from opendata import views

app_name = "opendata"

urlpatterns = [
    path("data/", views.data_page, name="data"),
    path("data/<str:name>", views.data_file, name="file"),
    path("methodology/", views.methodology, name="methodology"),
]
