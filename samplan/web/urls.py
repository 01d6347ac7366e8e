from django.contrib.auth import views as auth_views
from django.urls import path

from samplan.web import documents, own_views, views
from samplan.web.auth import LoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/extend/", views.session_extend, name="session_extend"),
    path("acting-unit/", views.acting_unit_set, name="acting_unit_set"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/units/new/", views.unit_create, name="unit_create"),
    path("organisations/<int:pk>/staff/new/", views.staff_create, name="staff_create"),
    path(
        "organisations/<int:pk>/staff/<int:user_id>/active/",
        views.staff_set_active,
        name="staff_set_active",
    ),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("my/plans/", own_views.my_plans, name="my_plans"),
    path("my/plans/<int:pk>/", own_views.my_plan, name="my_plan"),
    path("my/request/", own_views.my_sip_request, name="my_sip_request"),
    path("my/plans/<int:pk>/consent/", own_views.my_consent, name="my_consent"),
    path(
        "my/plans/<int:pk>/consent/revoke/", own_views.my_consent_revoke, name="my_consent_revoke"
    ),
    path(
        "my/plans/<int:pk>/representatives/",
        own_views.my_representatives,
        name="my_representatives",
    ),
    path("my/plans/<int:pk>/approve/", own_views.my_version_approve, name="my_version_approve"),
    path("my/plans/<int:pk>/end/", own_views.my_plan_end, name="my_plan_end"),
    path(
        "my/plans/<int:pk>/meetings/<int:meeting_id>/calendar.ics",
        own_views.my_meeting_calendar,
        name="my_meeting_calendar",
    ),
    path("plans/<int:pk>/child-view/", own_views.plan_child_view, name="plan_child_view"),
    path(
        "my/plans/<int:pk>/documents/<slug:kind>/",
        documents.my_plan_document,
        name="my_plan_document",
    ),
    path("persons/", views.person_search, name="person_search"),
    path("persons/lookup/", views.person_lookup, name="person_lookup"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/protected-identity/", views.person_protect, name="person_protect"),
    path(
        "persons/<int:pk>/representatives/new/",
        views.representative_create,
        name="representative_create",
    ),
    path("representatives/<int:pk>/edit/", views.representative_edit, name="representative_edit"),
    path(
        "representatives/<int:pk>/delete/",
        views.representative_delete,
        name="representative_delete",
    ),
]
