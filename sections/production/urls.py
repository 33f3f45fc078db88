from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.JobsList.as_view(), name="production-jobs"),
    path("jobs/<int:pandaid>/", views.JobDetail.as_view(), name="production-job"),
]
