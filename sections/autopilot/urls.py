from django.urls import path

from . import views

urlpatterns = [
    path("pilots/", views.PilotList.as_view(), name="autopilot-pilots"),
    path("pilots/<str:harvesterid>/<int:workerid>/", views.PilotDetail.as_view(), name="autopilot-pilot"),
    path("queues/", views.QueuesByRegion.as_view(), name="autopilot-queues"),
    path("submithosts/", views.SubmitHostList.as_view(), name="autopilot-submithosts"),
    path("services/", views.ServiceStatus.as_view(), name="autopilot-services"),
    path("pilottypes/", views.PilotTypeList.as_view(), name="autopilot-pilottypes"),
    path("info/", views.Info.as_view(), name="autopilot-info"),
]
