"""The SIP case: initiative, participants, meetings and invitations, the plan's content,
frozen versions, follow-ups, deviations and the lifecycle's events."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samplan.core.validators import is_safe_link, validate_web_link
from samplan.directory.models import Organisation, Person, Representative, Unit


class PlanType(models.TextChoices):
    """Inera's type-of-care-plan codes (kodverk "Typ av vård- och omsorgsplan")."""

    SIP = "SIP", _("Samordnad individuell plan (SIP)")
    LSS_IP = "IP", _("Individuell plan enligt LSS 10 §")
    HABILITATION = "HP", _("Habiliteringsplan kompletterad med SIP")
    REHABILITATION = "RP", _("Rehabiliteringsplan kompletterad med SIP")


PLAN_TYPE_SYSTEM = "urn:oid:1.2.752.129.2.2.2.11"


class PlanState(models.TextChoices):
    INITIATED = "initiated", _("Initierad")
    CONSENTED = "consented", _("Samtycke lämnat")
    INVITED = "invited", _("Kallelse skickad")
    MEETING_HELD = "meeting_held", _("Möte hållet")
    ESTABLISHED = "established", _("Upprättad")
    REVISING = "revising", _("Under revidering")
    PAUSED = "paused", _("Vilande")
    CLOSED = "closed", _("Avslutad")


OPEN_STATES = [s for s in PlanState if s != PlanState.CLOSED]
# Which state allows which step: samplan/plans/lifecycle.py.


class InitiatedBy(models.TextChoices):
    STAFF = "staff", _("Personal")
    PERSON = "person", _("Personen själv")
    NEXT_OF_KIN = "next_of_kin", _("Närstående")
    REPRESENTATIVE = "representative", _("Vårdnadshavare eller annan företrädare")


class InitiativeReason(models.TextChoices):
    SEVERAL_SERVICES = "several_services", _("Behov av insatser från flera verksamheter")
    RESPONSIBILITY_UNCLEAR = "responsibility_unclear", _("Ansvarsfördelningen behöver tydliggöras")
    REPEATED_VISITS = "repeated_visits", _("Upprepade besök i vården")
    READMISSION = "readmission", _("Återinskrivning på sjukhus")
    SEVERAL_COMPETENCES = "several_competences", _("Kompetens behövs från flera verksamheter")
    SEQUENCING = "sequencing", _("Insatser behöver ges samtidigt eller i särskild ordning")
    BOUNCED_AROUND = "bounced_around", _("Personen upplever att hen bollas runt")
    TRANSITION = "transition", _("Övergång mellan vårdformer, skolformer eller huvudmän")
    PERSON_REQUEST = "person_request", _("Personen eller närstående har önskat samordning")


class NeedGroup(models.TextChoices):
    """Groups for whom a SIP need should be presumed (Socialstyrelsen)."""

    PSYCHIATRIC_ADDICTION = "psychiatric_addiction", _("Psykisk sjukdom och missbruksproblem")
    PSYCHIATRIC_DISABILITY = (
        "psychiatric_disability",
        _("Allvarlig psykisk sjukdom och funktionsnedsättning"),
    )
    DEMENTIA_SOMATIC = "dementia_somatic", _("Demenssjukdom och annan somatisk sjukdom")


class ClosureReason(models.TextChoices):
    GOALS_REACHED = "goals_reached", _("Målen är uppnådda")
    MOVED = "moved", _("Personen har flyttat")
    CONSENT_REVOKED = "consent_revoked", _("Samtycket har återkallats")
    CONSENT_REFUSED = "consent_refused", _("Personen har inte gett samtycke")
    DECLINED = "declined", _("Personen avböjer fortsatt samordning")
    DECEASED = "deceased", _("Personen har avlidit")


class Plan(models.Model):
    """One SIP case for one person: from initiative to closure. Content is a working draft;
    establishing freezes it into a PlanVersion."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="plans")
    plan_type = models.CharField(
        _("typ av plan"), max_length=4, choices=PlanType.choices, default=PlanType.SIP
    )
    state = models.CharField(
        _("status"), max_length=20, choices=PlanState.choices, default=PlanState.INITIATED
    )
    title = models.CharField(_("rubrik"), max_length=200, blank=True, default="")
    # Initiative
    initiated_by = models.CharField(
        _("initiativ från"), max_length=20, choices=InitiatedBy.choices, default=InitiatedBy.STAFF
    )
    initiated_on = models.DateField(_("initiativdatum"))
    initiating_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="initiated_plans"
    )
    initiating_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        Representative,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Närstående eller företrädare som tog initiativet."),
    )
    reasons = models.JSONField(_("skäl"), default=list)
    need_groups = models.JSONField(_("målgrupp med förmodat behov"), default=list, blank=True)
    initiative_note = models.TextField(_("beskrivning av behovet av samordning"), blank=True)
    meeting_deadline = models.DateField(_("möte senast"))
    # Responsibility
    lead_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_plans",
        verbose_name=_("huvudansvarig huvudman"),
    )
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinated_plans",
        verbose_name=_("samordnare"),
    )
    coordinator_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    coordinator_phone = models.CharField(_("samordnarens telefon"), max_length=40, blank=True)
    coordinator_email = models.EmailField(_("samordnarens e-post"), blank=True)
    # Content on plan level
    time_plan = models.TextField(_("tidsplan"), blank=True)
    evaluation_plan = models.TextField(_("vad som följs upp och utvärderas, och när"), blank=True)
    existing_plan_reference = models.CharField(
        _("befintlig plan som kompletteras"), max_length=200, blank=True
    )
    lss_decision_date = models.DateField(_("datum för LSS-beslut"), null=True, blank=True)
    # Closure
    closure_reason = models.CharField(
        _("skäl för avslut"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    closure_note = models.TextField(_("kommentar till avslut"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A child's own view (issue 11): whether the person, while under 18, sees the plan under
    # his or her own login, as age and maturity allow. Set by the coordinator; off, a child
    # user sees nothing of the plan (samplan.authz.policy.own_plans). Guardians act meanwhile.
    child_own_view = models.BooleanField(
        _("barnet ser planen själv"),
        default=False,
        help_text=_("Om barnet, efter ålder och mognad, får se planen med egen inloggning."),
    )
    # Optimistic locking: every change to the draft bumps this; a stale form is refused.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("planer")
        ordering = ["-updated_at", "-pk"]
        # The statistics' period filters (samplan/statistics, issue 13: under a second at
        # region scale) read these dates through an index.
        indexes = [
            models.Index(fields=["state", "meeting_deadline"]),
            models.Index(fields=["initiated_on"], name="plan_initiated_on_idx"),
            models.Index(fields=["closed_at"], name="plan_closed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_plan_type_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("plan_detail", args=[self.pk])

    @property
    def current_version(self) -> PlanVersion | None:
        return self.versions.order_by("-number").first()


class Participant(models.Model):
    """A unit taking part in the plan. Its organisation's access also needs consent."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="participations")
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "unit"], name="participant_unique")]

    def __str__(self) -> str:
        return f"{self.unit} in plan {self.plan_id}"


class MeetingMode(models.TextChoices):
    PHYSICAL = "physical", _("Fysiskt möte")
    DIGITAL = "digital", _("Digitalt möte")


class Meeting(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField(_("börjar"))
    ends_at = models.DateTimeField(_("slutar"))
    mode = models.CharField(_("form"), max_length=10, choices=MeetingMode.choices)
    location = models.CharField(_("plats"), max_length=200, blank=True)
    video_url = models.URLField(
        _("länk till videomötet"), blank=True, validators=[validate_web_link]
    )
    agenda = models.TextField(_("syfte och dagordning"), blank=True)
    uid = models.CharField(max_length=100, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    held_at = models.DateTimeField(null=True, blank=True)
    minutes = models.TextField(_("anteckningar"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The organisation's fixed SIP time the meeting was booked on, if any (issue 13; the
    # statistics count attendance at booked SIP times).
    sip_time = models.ForeignKey(
        "agreements.SipTime",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("fast SIP-tid"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        # The statistics' period filters (samplan/statistics, issue 13: under a second at
        # region scale) read these dates through an index.
        indexes = [
            models.Index(fields=["starts_at"], name="meeting_starts_at_idx"),
            # The meetings still to be held: who has an open invitation (a relation to the
            # person, policy._open_invitations) is read against these few, not against ten
            # years of meetings (issue 12).
            models.Index(
                fields=["id"],
                condition=models.Q(cancelled_at__isnull=True, held_at__isnull=True),
                name="meeting_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"meeting {self.pk} of plan {self.plan_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.uid:
            self.uid = f"{uuid.uuid4()}@samplan"
        super().save(*args, **kwargs)

    @property
    def safe_video_url(self) -> str:
        """The video link if it may be shown as a link (https); otherwise empty. Pages, mails
        and calendar objects use this, so that a row written around the services (an older
        version, a manual fix in the database) never becomes a clickable javascript: link."""
        return self.video_url if is_safe_link(self.video_url) else ""


class InvitationAnswer(models.TextChoices):
    PENDING = "pending", _("Inte besvarad")
    ACCEPTED = "accepted", _("Kommer")
    DECLINED = "declined", _("Kommer inte")
    REPRESENTED = "represented", _("Företräds av någon annan")


class InvitationKind(models.TextChoices):
    """A summons (kallelse) goes to the principals, who must attend; an invitation (inbjudan)
    to everyone else (school, Försäkringskassan, next of kin), who are asked to come."""

    SUMMONS = "summons", _("Kallelse")
    INVITATION = "invitation", _("Inbjudan")


def new_link_nonce() -> str:
    """A fresh version of an external invitee's link: links signed with another are refused."""
    return secrets.token_urlsafe(12)


class Invitation(models.Model):
    """A unit of a participating organisation, or an external invitee without an account.

    An external invitee (school, Försäkringskassan, Arbetsförmedlingen, next of kin) opens the
    invitation and answers it through a signed, time-limited link in the mail
    (`samplan/plans/links.py`; docs/security.md, "External invitees' links"). The link carries
    the invitation's id and `link_nonce`, nothing about the person. A new nonce (the
    coordinator sends a new link) makes every earlier link stale; `link_revoked_at` (the
    coordinator revoked the link) refuses the current one; `link_answered_at` records that the
    current link has been used to answer, which it may be only once.

    `invitee_organisation` is the registry's organisation an external invitee comes from (its
    interventions in the plan are what the link opens besides the meeting); empty for next of
    kin and for organisations not in the registry.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    external_name = models.CharField(_("namn"), max_length=200, blank=True)
    external_organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    invitee_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation i registret"),
    )
    email = models.EmailField(_("e-post"))
    kind = models.CharField(
        _("kallelse eller inbjudan"),
        max_length=10,
        choices=InvitationKind.choices,
        default=InvitationKind.INVITATION,
    )
    answer = models.CharField(
        _("svar"), max_length=12, choices=InvitationAnswer.choices, default=InvitationAnswer.PENDING
    )
    decline_reason = models.TextField(_("skäl"), blank=True)
    represented_by = models.CharField(_("företräds av"), max_length=200, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    link_nonce = models.CharField(max_length=24, blank=True, default="", editable=False)
    link_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    link_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(_("deltog"), null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False) | ~models.Q(external_name=""),
                name="invitation_has_invitee",
            )
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.unit_id is None and not self.link_nonce:
            self.link_nonce = new_link_nonce()
        super().save(*args, **kwargs)

    @property
    def link_revoked(self) -> bool:
        return self.link_revoked_at is not None

    @property
    def invitee_name(self) -> str:
        if self.unit_id:
            return str(self.unit)
        if self.external_organisation:
            return f"{self.external_name} ({self.external_organisation})"
        return self.external_name


class NeedKind(models.TextChoices):
    NEED = "need", _("Behov")
    CIRCUMSTANCE = "circumstance", _("Förutsättning")
    INTEREST = "interest", _("Intresse")


class Need(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(_("typ"), max_length=20, choices=NeedKind.choices)
    description = models.TextField(_("beskrivning"))
    icf_code = models.CharField(_("ICF-kod"), max_length=12, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"need {self.pk}"


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    person_words = models.TextField(_("målet med personens egna ord"), blank=True)
    shared_goal = models.TextField(_("gemensamt mål"))
    target_date = models.DateField(_("ska vara nått"), null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"goal {self.pk}"


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", _("Planerad")
    DECIDED = "decided", _("Beslutad")


class Intervention(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="interventions")
    description = models.TextField(_("insats"))
    responsible_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ansvarig organisation"),
    )
    responsible_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ansvarig enhet"),
    )
    responsible_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ansvarig personal"),
    )
    status = models.CharField(_("status"), max_length=10, choices=InterventionStatus.choices)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("slut"), null=True, blank=True)
    goal = models.ForeignKey(
        Goal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("mål som insatsen ska leda till"),
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"intervention {self.pk}"

    @property
    def by_other_than_principals(self) -> bool:
        """Measures taken by others than the municipality and the region (SoL/HSL 16:4)."""
        return not self.responsible_organisation.is_principal


class PersonParticipation(models.TextChoices):
    """How the person took part in a version: the person's (or a guardian's) recorded
    approval, or, for a version established without one, that it is missing."""

    APPROVED = "approved", _("Personen har godkänt versionen.")
    APPROVED_BY_REPRESENTATIVE = (
        "approved_by_representative",
        _("Personens företrädare har godkänt versionen för personen."),
    )


class EstablishedParticipation(models.TextChoices):
    """How the person took part in drawing up a version, as staff record it when they
    establish it (the person may approve the version afterwards, in his or her own view)."""

    AT_MEETING = "at_meeting", _("Personen deltog i SIP-mötet där planen togs fram.")
    OUTSIDE_MEETING = (
        "outside_meeting",
        _("Personen var med och tog fram planen, men inte på mötet."),
    )
    THROUGH_REPRESENTATIVE = (
        "through_representative",
        _("Personen företräddes av en närstående eller företrädare."),
    )
    DID_NOT_TAKE_PART = "did_not_take_part", _("Personen deltog inte.")


class PlanVersion(models.Model):
    """An established version: a frozen snapshot of the plan. Its content never changes after
    creation; the person's approval (approved_*) is recorded on it afterwards, once."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    established_at = models.DateTimeField()
    established_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The person's approval of this version (seed 003: a plan is never made or changed
    # against the person's will), given in the person's own view; empty until then.
    approved_at = models.DateTimeField(_("godkänd"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("godkänd av"),
    )
    approved_by_representative = models.ForeignKey(
        Representative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("godkänd av företrädare"),
    )
    person_participation = models.CharField(
        _("hur personen deltog"),
        max_length=30,
        choices=PersonParticipation.choices,
        blank=True,
        default="",
    )
    # How the person took part, as recorded by staff when the version was established.
    participation_at_establishment = models.CharField(
        _("hur personen deltog när planen upprättades"),
        max_length=30,
        choices=EstablishedParticipation.choices,
        blank=True,
        default="",
    )

    class Meta:
        ordering = ["plan", "number"]
        # The statistics' period filters (samplan/statistics, issue 13: under a second at
        # region scale) read these dates through an index.
        indexes = [models.Index(fields=["established_at"], name="version_established_at_idx")]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"plan {self.plan_id} version {self.number}"

    @property
    def participation_text(self) -> str:
        """How the person took part, in words for the version page and the person's view:
        the recorded approval, or that the version was established without one."""
        if self.approved_at is not None and self.person_participation:
            return str(PersonParticipation(self.person_participation).label)
        without = _("Versionen upprättades utan personens registrerade godkännande.")
        if self.participation_at_establishment:
            how = EstablishedParticipation(self.participation_at_establishment).label
            return f"{without} {how}"
        return str(
            _(
                "Versionen upprättades utan personens registrerade godkännande. Personen har "
                "inte godkänt den i Samplan; hur personen deltog framgår av planens möten och "
                "händelser."
            )
        )


class Attainment(models.TextChoices):
    ACHIEVED = "achieved", _("Uppnått")
    PARTLY = "partly", _("Delvis uppnått")
    NOT_ACHIEVED = "not_achieved", _("Inte uppnått")


class FollowUp(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="follow_ups")
    due_date = models.DateField(_("datum"))
    what = models.CharField(_("vad som följs upp"), max_length=300)
    result = models.TextField(_("resultat"), blank=True)
    attainment = models.CharField(
        _("måluppfyllelse"), max_length=15, choices=Attainment.choices, blank=True
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        # The statistics' period filters (samplan/statistics, issue 13: under a second at
        # region scale) read these dates through an index.
        indexes = [
            models.Index(fields=["due_date"], name="followup_due_date_idx"),
            models.Index(fields=["done_at"], name="followup_done_at_idx"),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk}"


class GoalAttainment(models.Model):
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="goal_results")
    goal = models.ForeignKey(Goal, on_delete=models.SET_NULL, null=True, related_name="+")
    goal_text = models.TextField()
    attainment = models.CharField(max_length=15, choices=Attainment.choices)

    def __str__(self) -> str:
        return f"goal attainment {self.pk}"


class DeviationKind(models.TextChoices):
    NO_SHOW = "no_show", _("Uteblev från möte")
    NOT_DELIVERED = "not_delivered", _("Insats har inte getts")
    UNANSWERED = "unanswered", _("Kallelse obesvarad")
    OTHER = "other", _("Annat")


class DeviationStatus(models.TextChoices):
    OPEN = "open", _("Ny")
    IN_PROGRESS = "in_progress", _("Under utredning")
    HANDLED = "handled", _("Hanterad")


class Deviation(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="deviations")
    kind = models.CharField(_("typ"), max_length=20, choices=DeviationKind.choices)
    description = models.TextField(_("beskrivning"))
    addressed_to = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="deviations",
        verbose_name=_("till organisation"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DeviationStatus.choices, default=DeviationStatus.OPEN
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    resolution = models.TextField(_("åtgärd"), blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-reported_at"]
        # The statistics' period filters (samplan/statistics, issue 13: under a second at
        # region scale) read these dates through an index.
        indexes = [models.Index(fields=["reported_at"], name="deviation_reported_at_idx")]

    def __str__(self) -> str:
        return f"deviation {self.pk}"


class PlanEvent(models.Model):
    """The plan's own history: each lifecycle step, who took it, when."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        # The statistics' period filters (samplan/statistics, issue 13: under a second at
        # region scale) read these changes of the lead organisation by kind.
        indexes = [models.Index(fields=["kind", "at"], name="planevent_kind_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on plan {self.plan_id}"
