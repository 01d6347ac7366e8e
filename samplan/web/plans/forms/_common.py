"""What the plan pages' forms share: widgets, choice fields that name a unit or a person,
the plan page's item forms (with the revision they were opened at), and the note form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from samplan.accounts.models import User
from samplan.directory.models import Organisation, Unit
from samplan.plans.models import Invitation, Plan


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def datetime_input() -> forms.DateTimeInput:
    # A browser's datetime-local value has no zone: the form reads it in the current time zone
    # (Europe/Stockholm), which is what the user means.
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class UnitChoice(forms.ModelChoiceField[Unit]):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name}, {obj.organisation.name}"


class UnitMultipleChoice(forms.ModelMultipleChoiceField[Unit]):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name}, {obj.organisation.name}"


class UserChoice(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return str(obj.display_name)


class InvitationMultipleChoice(forms.ModelMultipleChoiceField[Invitation]):
    def label_from_instance(self, obj: Invitation) -> str:
        return str(obj.invitee_name)


def set_queryset[M: Model](form: forms.BaseForm, name: str, queryset: QuerySet[M]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def units_of(organisations: Iterable[Organisation]) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(organisation__in=organisations, is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


def participating_units(plan: Plan) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(participations__plan=plan, participations__left_at__isnull=True)
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


class ItemForm(forms.Form):
    """A form on the plan page: field ids carry a prefix so that several fit on one page."""

    id_prefix = "item"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class RevisionForm(ItemForm):
    """Carries the plan's revision when the form was opened, so a stale form is refused."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(forms.Form):
    """A confirmation with an optional comment (revoke consent, cancel a meeting, revise)."""

    note = forms.CharField(label=_("Kommentar"), required=False, widget=text_area())

    def __init__(self, *args: Any, label: StrOrPromise | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if label is not None:
            self.fields["note"].label = label
