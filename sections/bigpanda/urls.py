from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.Jobs.as_view(), name="bigpanda-jobs"),
    path("job", views.Job.as_view(), name="bigpanda-job-query"),
    path("job/<int:pandaid>/", views.Job.as_view(), name="bigpanda-job"),
    path("tasks/", views.Tasks.as_view(), name="bigpanda-tasks"),
    path("task/<int:jeditaskid>/", views.Task.as_view(), name="bigpanda-task"),
    path("errors/", views.Errors.as_view(), name="bigpanda-errors"),
]
