from django.urls import path

from samplan.web.audit import views

urlpatterns = [
    path("audit/review/", views.audit_review, name="audit_review"),
    path(
        "audit/extract/<int:person_id>.<str:fmt>",
        views.audit_extract,
        name="audit_extract",
    ),
    path("my/log/", views.my_log, name="my_log"),
]
