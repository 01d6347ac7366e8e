"""Forms for the registry pages. They parse input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from samplan.core.forms import apply_errors as apply_errors  # re-exported for plans.views
from samplan.directory.identity import normalise_org_number
from samplan.directory.models import (
    IdentifierKind,
    LookupReason,
    Organisation,
    Person,
    Profession,
    Representative,
    Unit,
)
from samplan.directory.services import CONTACT_FIELDS, normalise_person_identifier


class OrganisationForm(forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "org_number", "hsa_id", "email", "phone"]

    def clean_org_number(self) -> str:
        return normalise_org_number(self.cleaned_data["org_number"])


class UnitForm(forms.ModelForm[Unit]):
    class Meta:
        model = Unit
        fields = ["name", "kind", "hsa_id", "email", "phone", "address", "is_active"]

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.instance.organisation = organisation


class StaffCreateForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Enhet"), queryset=Unit.objects.none())
    first_name = forms.CharField(label=_("Förnamn"), max_length=150)
    last_name = forms.CharField(label=_("Efternamn"), max_length=150)
    username = forms.RegexField(
        label=_("Användarnamn"),
        max_length=150,
        regex=r"^[a-zA-Z0-9.@_-]+$",
        error_messages={"invalid": _("Använd bara bokstäver a–z, siffror och . @ _ -.")},
    )
    email = forms.EmailField(label=_("E-post"))
    phone = forms.CharField(label=_("Telefon"), max_length=40, required=False)
    profession = forms.ChoiceField(label=_("Yrkesroll"), choices=Profession.choices)
    title = forms.CharField(label=_("Titel"), max_length=100, required=False)
    hsa_id = forms.CharField(label=_("HSA-id"), max_length=40, required=False)
    password = forms.CharField(
        label=_("Startlösenord"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Frivilligt. Minst 10 tecken. Lämnas det tomt kan kontot inte logga in ännu."),
    )

    def __init__(self, *args: object, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        units = organisation.units.filter(is_active=True).order_by("name")
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]

    def clean_password(self) -> str:
        password: str = self.cleaned_data.get("password", "")
        if password:
            password_validation.validate_password(password)
        return password


class PersonForm(forms.ModelForm[Person]):
    identifier = forms.CharField(
        label=_("Personnummer / samordningsnummer / reservnummer"),
        max_length=40,
        help_text=_("ÅÅÅÅMMDD-NNNN. Reservnummer enligt er lokala rutin."),
    )

    class Meta:
        model = Person
        fields = [
            "identifier_kind",
            "identifier",
            "given_name",
            "family_name",
            "protected_identity",  # kept only on registration by a registrar (see __init__)
            "address",
            "postal_code",
            "city",
            "phone",
            "email",
            "preferred_language",
            "communication_need",
        ]

    def __init__(
        self,
        *args: object,
        show_contact: bool = True,
        may_protect: bool = False,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["identifier_kind"].initial = IdentifierKind.PERSONNUMMER
        if self.instance.pk or not may_protect:
            # Protected identity is changed on its own page, by a registrar, with a reason.
            del self.fields["protected_identity"]
        if self.instance.pk:
            self.initial["identifier"] = self.instance.formatted_identifier
        if not show_contact:
            for name in CONTACT_FIELDS:
                del self.fields[name]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        kind = data.get("identifier_kind")
        identifier = data.get("identifier")
        if kind and identifier:
            try:
                normalise_person_identifier(kind=str(kind), identifier=str(identifier))
            except ValidationError as exc:
                apply_errors(self, exc)
        return data

    def _post_clean(self) -> None:
        # Model validation runs in the service, on the normalised number.
        pass


class RepresentativeForm(forms.ModelForm[Representative]):
    class Meta:
        model = Representative
        fields = [
            "kind",
            "name",
            "relation",
            "phone",
            "email",
            "may_see_plan",
            "may_see_meetings",
            "may_attend_meetings",
            "may_act_for_person",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("Slutdatumet kan inte ligga före startdatumet."))
        return data

    def _post_clean(self) -> None:
        pass


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Sök bland dina personer"),
        max_length=100,
        required=False,
        help_text=_(
            "Namn eller nummer. Du hittar bara personer som din enhet redan har en relation "
            "till: en plan, ett initiativ eller en kallelse."
        ),
    )


class PersonLookupForm(forms.Form):
    """A look-up of one person: the complete number, or name and birth date, and a reason."""

    reason = forms.ChoiceField(
        label=_("Varför slår du upp personen?"),
        choices=LookupReason.choices,
        widget=forms.RadioSelect,
    )
    identifier = forms.CharField(
        label=_("Personnummer, samordningsnummer eller reservnummer"),
        max_length=40,
        required=False,
        help_text=_("Hela numret, ÅÅÅÅMMDD-NNNN."),
    )
    given_name = forms.CharField(
        label=_("Förnamn"),
        max_length=100,
        required=False,
        help_text=_("Bara för en person utan personnummer: hela namnet och födelsedatum."),
    )
    family_name = forms.CharField(label=_("Efternamn"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Födelsedatum"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ProtectedIdentityForm(forms.Form):
    protected = forms.BooleanField(label=_("Skyddade personuppgifter"), required=False)
    reason = forms.CharField(
        label=_("Skäl"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("T.ex. beslut från Skatteverket. Skälet visas på personens sida."),
    )
