"""Include from samplan/urls.py: path("", include("samplan.api.urls"))."""

from django.urls import path

from samplan.api.api import api

urlpatterns = [path("api/v1/", api.urls)]
