"""FHIR R4 under /fhir/ (samplan/urls.py: path("fhir/", include("samplan.fhir.urls")))."""

from django.urls import path, re_path

from samplan.fhir import subscriptions, views

urlpatterns = [
    path("", views.base, name="fhir_base"),
    path("metadata", views.metadata, name="fhir_metadata"),
    *subscriptions.urlpatterns,
    re_path(
        r"^CarePlan/(?P<rid>[A-Za-z0-9\-.]{1,64})/\$everything$",
        views.everything,
        name="fhir_careplan_everything",
    ),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})$", views.search_type, name="fhir_search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]{1,63})/(?P<rid>[A-Za-z0-9\-.]{1,64})$",
        views.read,
        name="fhir_read",
    ),
]
