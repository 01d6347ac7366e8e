"""Responsibility disputes on a plan: the plan page's block, recording and resolving. The
services decide (samplan/agreements/services/disputes.py); these pages parse and render."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from samplan.agreements import selectors as agreement_selectors
from samplan.agreements import services as agreement_services
from samplan.agreements.models import ResponsibilityDispute
from samplan.authz import access
from samplan.authz import policy as authz
from samplan.authz.actor import Actor
from samplan.authz.policy import Action
from samplan.plans import lifecycle
from samplan.plans.legal_basis import legal_basis_line
from samplan.plans.lifecycle import Step, StepNotAllowed
from samplan.plans.models import Plan, PlanVersion
from samplan.web.plans._flow import _data, _form_page, _plan
from samplan.web.plans.forms.disputes import DisputeForm, DisputeResolveForm


def dispute_context(
    actor: Actor, plan: Plan, versions: Iterable[PlanVersion] = ()
) -> dict[str, Any]:
    """The plan page's block: the legal basis in force on the day the latest version was
    established (a plan not yet established: today), the plan's disputes (open first, with
    their duration and whether the actor may resolve them) and whether the actor may record
    one. One query for the disputes with their units; the right to edit the plan is the
    visibility the page has already asked."""
    latest = max(versions, key=lambda v: v.number, default=None)
    day = timezone.localdate(latest.established_at) if latest else timezone.localdate()
    disputes = agreement_selectors.dispute_rows_for_plan(plan_id=plan.pk)
    editor = authz.can(actor, Action.PLAN_EDIT, plan)
    own_unit = actor.unit.pk if actor.unit is not None else None
    now = timezone.now()
    return {
        "legal_basis": legal_basis_line(plan.plan_type, day),
        "disputes": [
            {
                "dispute": d,
                "days": d.days(now),
                "can_resolve": d.is_open and (editor or own_unit in d.unit_ids),
            }
            for d in disputes
        ],
        "can_record_dispute": editor and lifecycle.step_allowed(plan, Step.REPORT_DEVIATION),
    }


def _audit_refused_input[T](actor: Actor, action: Action, plan: Plan, call: Callable[[], T]) -> T:
    """Bad input touching a plan is audited by field name, never by value, once the service
    has rolled back (a refused step is said on the plan page instead)."""
    try:
        return call()
    except StepNotAllowed:
        raise
    except ValidationError as exc:
        fields = sorted(exc.error_dict) if hasattr(exc, "error_dict") else []
        access.audit_invalid(actor=actor, action=action, fields=fields, obj=plan)
        raise


@login_required
def dispute_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.DISPUTE_RECORD, plan)
    form = DisputeForm(_data(request), plan=plan)
    return _form_page(
        request,
        plan,
        form,
        title=_("Registrera oenighet om ansvar"),
        call=lambda: _audit_refused_input(
            actor,
            Action.DISPUTE_RECORD,
            plan,
            lambda: agreement_services.dispute_record(
                actor=actor,
                plan=plan,
                units=form.cleaned_data["units"],
                subject=form.cleaned_data["subject"],
            ),
        ),
        done=_(
            "Oenigheten är registrerad. Kontaktpersonerna för överenskommelsen som gäller "
            "har fått besked."
        ),
        anchor="disputes",
        submit=_("Registrera"),
        context={
            "intro": _(
                "Den överenskommelse mellan huvudmännen som gäller för enheterna hittas "
                "automatiskt, och dess kontaktpersoner får ett meddelande med en länk till "
                "planen."
            )
        },
    )


@login_required
def dispute_resolve(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    dispute: ResponsibilityDispute | None = plan.disputes.filter(pk=item_pk).first()
    if dispute is None:
        raise Http404
    dispute.plan = plan
    authz.require(actor, Action.DISPUTE_RESOLVE, dispute)
    form = DisputeResolveForm(_data(request))
    return _form_page(
        request,
        plan,
        form,
        title=_("Registrera att oenigheten är löst"),
        call=lambda: _audit_refused_input(
            actor,
            Action.DISPUTE_RESOLVE,
            plan,
            lambda: agreement_services.dispute_resolve(
                actor=actor, dispute=dispute, resolution=form.cleaned_data["resolution"]
            ),
        ),
        done=_("Oenigheten är registrerad som löst."),
        anchor="disputes",
        context={"intro": dispute.subject},
    )
