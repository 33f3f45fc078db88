from django.urls import path

from . import views

urlpatterns = [
    path("", views.QueueList.as_view(), name="sites-list"),
    # Before <nickname>/: "clouds" is a path of its own, not a queue.
    path("clouds/", views.CloudList.as_view(), name="sites-clouds"),
    # str, not slug: nicknames may hold '-' and '.'.
    path("<str:nickname>/", views.QueueDetail.as_view(), name="sites-queue"),
]
