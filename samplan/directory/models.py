"""The registry: organisations, their units, staff memberships, persons and representatives."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samplan.core.validators import no_control_characters
from samplan.directory.identity import validate_hsa_id, validate_org_number


class OrganisationKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Kommun")
    REGION = "region", _("Region")
    STATE_AGENCY = "state_agency", _("Statlig myndighet")
    SCHOOL = "school", _("Skola")
    PRIVATE_PROVIDER = "private_provider", _("Privat utförare")
    NON_PROFIT = "non_profit", _("Idéburen organisation")


PRINCIPAL_KINDS = {OrganisationKind.MUNICIPALITY, OrganisationKind.REGION}


class Organisation(models.Model):
    name = models.CharField(_("namn"), max_length=200, validators=[no_control_characters])
    kind = models.CharField(_("typ"), max_length=20, choices=OrganisationKind.choices)
    org_number = models.CharField(
        _("organisationsnummer"),
        max_length=11,
        unique=True,
        validators=[validate_org_number],
        help_text=_("Tio siffror, NNNNNN-NNNN."),
    )
    hsa_id = models.CharField(
        _("HSA-id"), max_length=40, blank=True, default="", validators=[validate_hsa_id]
    )
    email = models.EmailField(_("e-post"), blank=True, default="")
    phone = models.CharField(_("telefon"), max_length=40, blank=True, default="")
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organisation_detail", args=[self.pk])

    @property
    def is_principal(self) -> bool:
        return self.kind in PRINCIPAL_KINDS


class UnitKind(models.TextChoices):
    PSYCHIATRY = "psychiatry", _("Psykiatri")
    ADDICTION = "addiction", _("Beroendevård")
    PRIMARY_CARE = "primary_care", _("Primärvård")
    HABILITATION = "habilitation", _("Habilitering")
    SOMATIC = "somatic", _("Somatisk vård")
    SOCIAL_PSYCHIATRY = "social_psychiatry", _("Socialpsykiatri")
    LSS = "lss", _("LSS")
    HOME_CARE = "home_care", _("Hemtjänst")
    NEEDS_ASSESSMENT = "needs_assessment", _("Biståndshandläggning")
    CHILD_YOUTH = "child_youth", _("Barn och unga")
    ELDERLY_CARE = "elderly_care", _("Äldreomsorg")
    SCHOOL = "school", _("Skola")
    SOCIAL_INSURANCE = "social_insurance", _("Socialförsäkring")
    EMPLOYMENT = "employment", _("Arbetsförmedling")
    OTHER = "other", _("Annan")


class Unit(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="units", verbose_name=_("organisation")
    )
    name = models.CharField(_("namn"), max_length=200, validators=[no_control_characters])
    kind = models.CharField(_("verksamhet"), max_length=30, choices=UnitKind.choices)
    hsa_id = models.CharField(
        _("HSA-id"), max_length=40, blank=True, default="", validators=[validate_hsa_id]
    )
    email = models.EmailField(_("e-post"), blank=True, default="")
    phone = models.CharField(_("telefon"), max_length=40, blank=True, default="")
    address = models.CharField(
        _("adress"), max_length=200, blank=True, default="", validators=[no_control_characters]
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unit_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.organisation.name}"


class Profession(models.TextChoices):
    CASE_OFFICER = "case_officer", _("Handläggare")
    SOCIAL_WORKER = "social_worker", _("Socialsekreterare")
    NURSE = "nurse", _("Sjuksköterska")
    PHYSICIAN = "physician", _("Läkare")
    PSYCHIATRIST = "psychiatrist", _("Psykiater")
    PSYCHOLOGIST = "psychologist", _("Psykolog")
    OCCUPATIONAL_THERAPIST = "occupational_therapist", _("Arbetsterapeut")
    PHYSIOTHERAPIST = "physiotherapist", _("Fysioterapeut")
    COUNSELLOR = "counsellor", _("Kurator")
    SUPPORT_WORKER = "support_worker", _("Boendestödjare")
    ASSISTANT_NURSE = "assistant_nurse", _("Undersköterska")
    TEACHER = "teacher", _("Lärare")
    SCHOOL_NURSE = "school_nurse", _("Skolsköterska")
    INSURANCE_OFFICER = "insurance_officer", _("Handläggare, Försäkringskassan")
    MANAGER = "manager", _("Enhetschef")
    OTHER = "other", _("Annan")


class Membership(models.Model):
    """A staff member's place in a unit, with a profession. A user may have several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("användare"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("enhet")
    )
    profession = models.CharField(_("yrkesroll"), max_length=30, choices=Profession.choices)
    title = models.CharField(_("titel"), max_length=100, blank=True, default="")
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")
        ordering = ["unit__organisation__name", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_profession_display()}, {self.unit.name})"


class OrganisationRoleKind(models.TextChoices):
    ADMIN = "admin", _("Organisationsadministratör")
    LOG_REVIEWER = "log_reviewer", _("Logggranskare")
    MANAGER = "manager", _("Chef med uppföljningsansvar")
    # Keeps the registry data of the persons the organisation has a relation with, and alone
    # sets or removes protected identity (with a recorded reason).
    REGISTRAR = "registrar", _("Registeransvarig")


class OrganisationRole(models.Model):
    """A role a user holds for a whole organisation; none of them opens plan contents."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_roles"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("roll"), max_length=20, choices=OrganisationRoleKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "kind"], name="organisation_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_kind_display()} ({self.organisation})"


class IdentifierKind(models.TextChoices):
    PERSONNUMMER = "personnummer", _("Personnummer")
    SAMORDNINGSNUMMER = "samordningsnummer", _("Samordningsnummer")
    RESERVE = "reserve", _("Reservnummer")


class CommunicationNeed(models.TextChoices):
    NONE = "", _("Inga särskilda")
    EASY_READ = "easy_read", _("Lättläst")
    LARGE_PRINT = "large_print", _("Stor stil")
    BRAILLE = "braille", _("Punktskrift")
    AUDIO = "audio", _("Inläst (ljud)")
    INTERPRETER = "interpreter", _("Tolk")


class Person(models.Model):
    """The person a plan is for (den enskilde). Personal data: reach it through authz only."""

    identifier_kind = models.CharField(
        _("typ av id"), max_length=20, choices=IdentifierKind.choices
    )
    identifier = models.CharField(
        _("person-id"),
        max_length=40,
        unique=True,
        help_text=_("Personnummer eller samordningsnummer (12 siffror) eller reservnummer."),
    )
    birth_date = models.DateField(_("födelsedatum"), null=True, blank=True)
    given_name = models.CharField(_("förnamn"), max_length=100, validators=[no_control_characters])
    family_name = models.CharField(
        _("efternamn"), max_length=100, validators=[no_control_characters]
    )
    protected_identity = models.BooleanField(
        _("skyddade personuppgifter"),
        default=False,
        help_text=_("Adress och kontaktuppgifter visas inte."),
    )
    address = models.CharField(
        _("adress"), max_length=200, blank=True, default="", validators=[no_control_characters]
    )
    postal_code = models.CharField(_("postnummer"), max_length=10, blank=True, default="")
    city = models.CharField(
        _("ort"), max_length=100, blank=True, default="", validators=[no_control_characters]
    )
    phone = models.CharField(_("telefon"), max_length=40, blank=True, default="")
    email = models.EmailField(_("e-post"), blank=True, default="")
    preferred_language = models.CharField(_("språk"), max_length=10, blank=True, default="sv")
    communication_need = models.CharField(
        _("informationsformat"),
        max_length=20,
        choices=CommunicationNeed.choices,
        blank=True,
        default="",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        help_text=_("Inloggning för personen själv."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("personer")
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("person_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def formatted_identifier(self) -> str:
        if self.identifier_kind == IdentifierKind.RESERVE:
            return self.identifier
        return f"{self.identifier[:8]}-{self.identifier[8:]}"


class RepresentativeKind(models.TextChoices):
    NEXT_OF_KIN = "next_of_kin", _("Närstående")
    GUARDIAN = "guardian", _("Vårdnadshavare")
    TRUSTEE = "trustee", _("God man")
    ADMINISTRATOR = "administrator", _("Förvaltare")


class Representative(models.Model):
    """Next of kin, guardian or legal representative, and what he or she may see and do."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="representatives")
    kind = models.CharField(_("typ"), max_length=20, choices=RepresentativeKind.choices)
    name = models.CharField(_("namn"), max_length=200, validators=[no_control_characters])
    relation = models.CharField(
        _("relation"), max_length=100, blank=True, default="", help_text=_("T.ex. mamma, bror.")
    )
    phone = models.CharField(_("telefon"), max_length=40, blank=True, default="")
    email = models.EmailField(_("e-post"), blank=True, default="")
    may_see_plan = models.BooleanField(_("får se planen"), default=False)
    may_see_meetings = models.BooleanField(_("får se möten och kallelser"), default=False)
    may_attend_meetings = models.BooleanField(_("får delta i möten"), default=False)
    may_act_for_person = models.BooleanField(
        _("får företräda personen"),
        default=False,
        help_text=_(
            "T.ex. lämna samtycke. Gäller vårdnadshavare och förvaltare med sådant uppdrag."
        ),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="representations",
    )
    valid_from = models.DateField(_("gäller från"), null=True, blank=True)
    valid_until = models.DateField(_("gäller till"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("företrädare")
        verbose_name_plural = _("företrädare")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class LookupReason(models.TextChoices):
    """Why a staff member looks up a person he or she has no relation with yet."""

    START_PLAN = "start_plan", _("Starta en SIP")
    ANSWER_INVITATION = "answer_invitation", _("Besvara en kallelse")
    REGISTER = "register", _("Registrera personen")


class PersonLookup(models.Model):
    """An explicit look-up of one person by complete identity number (or name and birth date),
    with a reason. It opens, for a while, only what is needed to go on: name, birth year and
    whether the identity is protected, and the right to start a plan. The log review flags a
    look-up that no plan or invitation follows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="lookups"
    )
    reason = models.CharField(_("skäl"), max_length=20, choices=LookupReason.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "unit", "person", "at"])]

    def __str__(self) -> str:
        return f"look-up {self.pk} ({self.reason})"


class ProtectedIdentityChange(models.Model):
    """Protected identity set or removed: by whom, when and why. Shown on the person's page."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="protected_identity_changes"
    )
    protected = models.BooleanField(_("skyddade personuppgifter"))
    reason = models.TextField(_("skäl"), validators=[no_control_characters])
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"protected identity {'on' if self.protected else 'off'} for {self.person_id}"
