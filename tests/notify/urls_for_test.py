"""The project's URLs plus the inbox, until samplan/urls.py includes samplan.notify.urls."""

from django.urls import include, path

from samplan.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("", include("samplan.notify.urls"))]
