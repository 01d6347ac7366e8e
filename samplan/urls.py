from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("fhir/", include("samplan.fhir.urls")),
    path("", include("samplan.api.urls")),
    path("", include("samplan.web.notify.urls")),
    path("", include("samplan.web.plans.urls")),
    path("", include("samplan.web.audit.urls")),
    path("", include("samplan.web.statistics.urls")),
    path("", include("samplan.web.agreements.urls")),
    path("", include("samplan.web.urls")),
]
