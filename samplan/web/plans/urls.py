from django.urls import path

from samplan.web import documents
from samplan.web import plans as views
from samplan.web.plans import disputes

urlpatterns = [
    path("plans/", views.worklist, name="worklist"),
    path("persons/<int:pk>/plans/new/", views.plan_initiate, name="plan_initiate"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    # Consent
    path("plans/<int:pk>/consent/new/", views.consent_record, name="consent_record"),
    path("plans/<int:pk>/consent/revoke/", views.consent_revoke, name="consent_revoke"),
    # Meetings and invitations
    path("plans/<int:pk>/meetings/new/", views.meeting_schedule, name="meeting_schedule"),
    path("plans/<int:pk>/meetings/<int:meeting_pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path(
        "plans/<int:pk>/meetings/<int:meeting_pk>/cancel/",
        views.meeting_cancel,
        name="meeting_cancel",
    ),
    path("plans/<int:pk>/meetings/<int:meeting_pk>/held/", views.meeting_held, name="meeting_held"),
    path(
        "plans/<int:pk>/meetings/<int:meeting_pk>/invite/",
        views.invitation_add,
        name="invitation_add",
    ),
    path("invitations/<int:pk>/answer/", views.invitation_answer, name="invitation_answer"),
    path(
        "plans/<int:pk>/meetings/<int:meeting_pk>/invitations/<int:invitation_pk>/link/revoke/",
        views.invitation_link_revoke,
        name="invitation_link_revoke",
    ),
    path(
        "plans/<int:pk>/meetings/<int:meeting_pk>/invitations/<int:invitation_pk>/link/new/",
        views.invitation_link_reissue,
        name="invitation_link_reissue",
    ),
    # An external invitee's signed link (samplan/plans/links.py); the old form of the link,
    # a bare 64-character secret, is refused with a plain message.
    path(
        "invitation/<int:invitation_id>/<str:token>/",
        views.invitation_answer_external,
        name="invitation_answer_external",
    ),
    path("invitation/<str:token>/", views.invitation_link_old, name="invitation_link_old"),
    # The draft
    path("plans/<int:pk>/details/", views.plan_details_edit, name="plan_details_edit"),
    path("plans/<int:pk>/needs/new/", views.need_add, name="need_add"),
    path("plans/<int:pk>/needs/<int:item_pk>/edit/", views.need_edit, name="need_edit"),
    path("plans/<int:pk>/needs/<int:item_pk>/remove/", views.need_remove, name="need_remove"),
    path("plans/<int:pk>/goals/new/", views.goal_add, name="goal_add"),
    path("plans/<int:pk>/goals/<int:item_pk>/edit/", views.goal_edit, name="goal_edit"),
    path("plans/<int:pk>/goals/<int:item_pk>/remove/", views.goal_remove, name="goal_remove"),
    path("plans/<int:pk>/interventions/new/", views.intervention_add, name="intervention_add"),
    path(
        "plans/<int:pk>/interventions/<int:item_pk>/edit/",
        views.intervention_edit,
        name="intervention_edit",
    ),
    path(
        "plans/<int:pk>/interventions/<int:item_pk>/remove/",
        views.intervention_remove,
        name="intervention_remove",
    ),
    # Follow-ups and deviations
    path("plans/<int:pk>/follow-ups/new/", views.follow_up_schedule, name="follow_up_schedule"),
    path(
        "plans/<int:pk>/follow-ups/<int:item_pk>/record/",
        views.follow_up_record,
        name="follow_up_record",
    ),
    path("plans/<int:pk>/deviations/new/", views.deviation_report, name="deviation_report"),
    path(
        "plans/<int:pk>/deviations/<int:item_pk>/status/",
        views.deviation_status,
        name="deviation_status",
    ),
    # Responsibility disputes (samplan/web/plans/disputes.py)
    path("plans/<int:pk>/disputes/new/", disputes.dispute_record, name="dispute_record"),
    path(
        "plans/<int:pk>/disputes/<int:item_pk>/resolve/",
        disputes.dispute_resolve,
        name="dispute_resolve",
    ),
    # Establish, revise, close; versions
    path("plans/<int:pk>/establish/", views.plan_establish, name="plan_establish"),
    path("plans/<int:pk>/revise/", views.plan_revise, name="plan_revise"),
    path("plans/<int:pk>/close/", views.plan_close, name="plan_close"),
    path("plans/<int:pk>/versions/<int:number>/", views.plan_version, name="plan_version"),
    path(
        "plans/<int:pk>/documents/<slug:kind>/",
        documents.plan_document,
        name="plan_document",
    ),
    path(
        "plans/<int:pk>/versions/<int:a>/diff/<int:b>/",
        views.plan_version_diff,
        name="plan_version_diff",
    ),
]
