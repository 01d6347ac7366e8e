from django.urls import path

from samplan.plans import views

urlpatterns = [
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("invitation/<str:token>/", views.invitation_answer_external,
         name="invitation_answer_external"),
]
