from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.Jobs.as_view(), name="stats-jobs"),
    path("timeseries/", views.Timeseries.as_view(), name="stats-timeseries"),
    path("sites/", views.Sites.as_view(), name="stats-sites"),
]
