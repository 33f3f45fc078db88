from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.JobsList.as_view(), name="production-jobs"),
    # Before jobs/<int:pandaid>/ so that these names are never read as a pandaid.
    path("jobs/summary/", views.JobsSummary.as_view(), name="production-summary"),
    path("jobs/facets/", views.JobsFacets.as_view(), name="production-facets"),
    path("jobs/status/", views.JobsStatus.as_view(), name="production-status"),
    path("jobs/<int:pandaid>/", views.JobDetail.as_view(), name="production-job"),
    path("tasks/", views.TasksList.as_view(), name="production-tasks"),
    path("tasks/<int:jeditaskid>/", views.TaskDetail.as_view(), name="production-task"),
    path("errors/", views.ErrorsSummary.as_view(), name="production-errors"),
]
