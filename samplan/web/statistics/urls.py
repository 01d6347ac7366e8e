from django.urls import path

from samplan.web.statistics import views

urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path(
        "statistics/export/<slug:key>.<str:fmt>",
        views.statistics_export,
        name="statistics_export",
    ),
    path("statistics/report.pdf", views.statistics_report, name="statistics_report"),
]
