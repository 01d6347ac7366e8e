"""Recording and revoking the person's consent."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from samplan.authz import policy as authz
from samplan.authz.policy import Action
from samplan.consent import services as consent_services
from samplan.web.plans import forms as plan_forms
from samplan.web.plans._flow import (
    _data,
    _form_page,
    _plan,
)


@login_required
def consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.CONSENT_RECORD, plan)
    form = plan_forms.ConsentForm(_data(request), person=plan.person)

    def call() -> object:
        d = form.cleaned_data
        return consent_services.consent_record(
            actor=actor,
            plan=plan,
            decision=d["decision"],
            method=d["method"],
            organisations=d["organisations"],
            information_kinds=d["information_kinds"],
            given_at=d["given_at"],
            representative=d["representative"],
            note=d["note"],
        )

    return _form_page(
        request,
        plan,
        form,
        title=_("Registrera samtycke"),
        call=call,
        done=_("Personens beslut om samtycke är registrerat."),
        anchor="consent",
        submit=_("Registrera"),
    )


@login_required
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor, plan = _plan(request, pk)
    authz.require(actor, Action.CONSENT_RECORD, plan)
    form = plan_forms.NoteForm(_data(request))

    def then() -> str | None:
        # Revocation may close this very door: then the plan is no longer ours to show.
        return None if authz.can(actor, Action.PLAN_VIEW, plan) else reverse("worklist")

    return _form_page(
        request,
        plan,
        form,
        title=_("Återkalla samtycke"),
        call=lambda: consent_services.consent_revoke(
            actor=actor, plan=plan, note=form.cleaned_data["note"]
        ),
        done=_("Samtycket är återkallat. Planen är vilande."),
        anchor="consent",
        submit=_("Återkalla samtycket"),
        context={
            "intro": _(
                "När samtycket återkallas blir planen vilande och de andra organisationerna "
                "förlorar genast åtkomsten till den."
            )
        },
        then=then,
    )
