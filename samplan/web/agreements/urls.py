from django.urls import path

from samplan.web.agreements import views

urlpatterns = [
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path(
        "agreements/<int:pk>/contacts/new/",
        views.agreement_contact_add,
        name="agreement_contact_add",
    ),
    path(
        "agreements/<int:pk>/contacts/<int:contact_pk>/remove/",
        views.agreement_contact_remove,
        name="agreement_contact_remove",
    ),
    path("organisations/<int:pk>/sip/", views.sip_settings, name="sip_settings"),
    path("organisations/<int:pk>/sip/leads/new/", views.sip_lead_add, name="sip_lead_add"),
    path(
        "organisations/<int:pk>/sip/leads/<int:lead_pk>/remove/",
        views.sip_lead_remove,
        name="sip_lead_remove",
    ),
    path("organisations/<int:pk>/sip/times/new/", views.sip_time_add, name="sip_time_add"),
    path(
        "organisations/<int:pk>/sip/times/<int:time_pk>/end/",
        views.sip_time_end,
        name="sip_time_end",
    ),
]
