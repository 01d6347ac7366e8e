"""The entry points: every document and format of a demo plan, what is listed, and what a
narrowed consent leaves out."""

from __future__ import annotations

import pytest

from samplan.consent.models import InformationKind
from samplan.documents.render import (
    MEDIA_TYPES,
    DocumentKind,
    DocumentUnavailable,
    document_kinds_for,
    render_document,
)
from samplan.plans.models import Plan
from tests.documents.conftest import participating_organisation
from tests.documents.helpers import pdf_text


def test_every_kind_renders(established_plan: Plan, all_kinds: frozenset[str]) -> None:
    org = participating_organisation(established_plan)
    seen = set()
    for kind in DocumentKind:
        if kind == DocumentKind.INVITATION_LETTER:
            continue  # needs a coming meeting: test_pdf
        document = render_document(
            plan=established_plan, kind=kind, kinds=all_kinds, organisation=org, made_by="Test"
        )
        assert document.kind == kind.value
        assert document.media_type == MEDIA_TYPES[kind]
        assert document.content
        assert document.title
        # A de-identified summary's name leads nowhere (no plan id); the others name the plan.
        prefix = "avidentifierad-" if kind == DocumentKind.DEIDENTIFIED else "sip-"
        assert document.filename.startswith(prefix)
        if kind != DocumentKind.DEIDENTIFIED:
            assert document.filename.startswith(f"sip-{established_plan.pk}-v1-")
        assert "/" not in document.filename
        seen.add(kind)
    assert len(seen) == len(DocumentKind) - 1


def test_listing(established_plan: Plan, invited_plan: Plan, all_kinds: frozenset[str]) -> None:
    options = document_kinds_for(plan=established_plan, kinds=all_kinds)
    kinds = [o.kind for o in options]
    assert kinds[0] == "plan"
    for kind in ("plain_language", "large_print", "braille", "audio", "deidentified"):
        assert kind in kinds
    copies = [o for o in options if o.kind == "record_copy"]
    assert (
        len(copies) == established_plan.participants.values("unit__organisation").distinct().count()
    )
    assert "invitation_letter" not in kinds  # its meetings are held
    letters = [
        o
        for o in document_kinds_for(plan=invited_plan, kinds=all_kinds)
        if o.kind == "invitation_letter"
    ]
    assert [o.meeting_id for o in letters] == [invited_plan.meetings.get().pk]
    org = participating_organisation(established_plan)
    mine = document_kinds_for(plan=established_plan, kinds=all_kinds, organisation=org)
    assert [o.organisation_id for o in mine if o.kind == "record_copy"] == [org.pk]
    assert document_kinds_for(plan=established_plan, kinds=frozenset()) == []


def test_unknown_kind_and_no_kinds(established_plan: Plan, all_kinds: frozenset[str]) -> None:
    with pytest.raises(DocumentUnavailable):
        render_document(plan=established_plan, kind="nonsense", kinds=all_kinds)
    with pytest.raises(DocumentUnavailable):  # a de-identified summary names its maker
        render_document(plan=established_plan, kind="deidentified", kinds=all_kinds)
    with pytest.raises(DocumentUnavailable):
        render_document(plan=established_plan, kind="plan", kinds=frozenset())


def test_narrowed_consent_leaves_out_what_it_does_not_cover(established_plan: Plan) -> None:
    interventions = list(established_plan.interventions.select_related("responsible_organisation"))
    health = next(i for i in interventions if i.responsible_organisation.kind == "region")
    social = next(i for i in interventions if i.responsible_organisation.kind == "municipality")
    need = established_plan.needs.first()
    assert need is not None
    only_social = frozenset({InformationKind.SOCIAL.value})
    text = pdf_text(render_document(plan=established_plan, kind="plan", kinds=only_social).content)
    assert social.description in text
    assert health.description not in text
    assert need.description not in text  # the plan's shared content is not covered
    assert "en del av planen visas inte" in text
    # The region's own intervention is shown to the region whatever the consent says.
    own = pdf_text(
        render_document(
            plan=established_plan,
            kind="plan",
            kinds=only_social,
            own_organisation_id=health.responsible_organisation_id,
        ).content
    )
    assert health.description in own
    plain = render_document(
        plan=established_plan, kind="plain_language", kinds=only_social
    ).content.decode()
    assert health.description not in plain
    assert social.description in plain
