from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.JobsMatrix.as_view(), name="stats-jobs"),
    path("timeseries/", views.Timeseries.as_view(), name="stats-timeseries"),
    path("sites/", views.SiteStats.as_view(), name="stats-sites"),
]
