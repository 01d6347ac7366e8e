"""The PDF documents: every required item in the text, tagged with the language, the record
copy naming its organisation, large print in 18 pt or more, and a fetcher that fetches
nothing but the project's own static files."""

from __future__ import annotations

from typing import Any

import pytest

from samplan.documents import pdf as pdf_module
from samplan.documents.content import document_content
from samplan.documents.dates import long_date
from samplan.documents.pdf import StaticOnlyFetcher, html_to_pdf, static_file
from samplan.documents.render import DocumentUnavailable, render_document
from samplan.plans.models import Plan
from tests.documents.conftest import participating_organisation
from tests.documents.helpers import flat, font_sizes, pdf_reader, pdf_text
from tests.factories import OrganisationFactory


def required_items(plan: Plan, kinds: frozenset[str]) -> list[str]:
    """What a plan must hold (SoL/HSL 16:4, the regional routine), as the document words
    it, read from the plan's latest version."""
    c = document_content(plan=plan, kinds=kinds)
    items = [
        c.person_name,
        c.person_identifier,
        c.lead_organisation,
        c.coordinator.name,
        c.coordinator.phone,
        c.coordinator.email,
        c.time_plan,
        c.evaluation_plan,
        f"Version {c.version_number}",
        long_date(c.established_at),
        *c.participants,
    ]
    for need in c.needs:
        items.append(need.description)
    for goal in c.goals:
        items += [goal.shared_goal, goal.person_words]
    for item in c.interventions:
        items += [item.description, item.organisation, item.unit, long_date(item.start_date)]
    for follow_up in c.follow_ups:
        items += [follow_up.what, long_date(follow_up.due_date)]
    assert all(items), items
    return [flat(i) for i in items]


def test_plan_pdf_holds_every_required_item(
    established_plan: Plan, all_kinds: frozenset[str]
) -> None:
    document = render_document(plan=established_plan, kind="plan", kinds=all_kinds)
    assert document.media_type == "application/pdf"
    assert document.filename.endswith(".pdf")
    text = pdf_text(document.content)
    items = required_items(established_plan, all_kinds)
    assert len(items) > 20
    missing = [item for item in items if item not in text]
    assert missing == []


def test_plan_pdf_is_tagged_swedish_and_titled(
    established_plan: Plan, all_kinds: frozenset[str]
) -> None:
    content = render_document(plan=established_plan, kind="plan", kinds=all_kinds).content
    reader = pdf_reader(content)
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert reader.metadata is not None
    assert established_plan.person.full_name in str(reader.metadata.title)
    # The PDF/UA identification, in the XMP metadata.
    xmp = root["/Metadata"].get_object().get_data()
    assert b"pdfuaid:part" in xmp


def test_record_copy_names_its_organisation(
    established_plan: Plan, all_kinds: frozenset[str]
) -> None:
    org = participating_organisation(established_plan)
    document = render_document(
        plan=established_plan, kind="record_copy", kinds=all_kinds, organisation=org
    )
    assert document.kind == "record_copy"
    first_page = flat(pdf_reader(document.content).pages[0].extract_text())
    assert f"Kopia för akten hos {org.name}" in first_page
    assert "Version 1" in first_page
    text = pdf_text(document.content)
    for item in required_items(established_plan, all_kinds):
        assert item in text
    # Marked as the copy on every page (the footer).
    for page in pdf_reader(document.content).pages:
        assert org.name in page.extract_text()


def test_record_copy_only_for_a_participant(
    established_plan: Plan, all_kinds: frozenset[str]
) -> None:
    outsider = OrganisationFactory.create()
    with pytest.raises(DocumentUnavailable):
        render_document(
            plan=established_plan, kind="record_copy", kinds=all_kinds, organisation=outsider
        )
    with pytest.raises(DocumentUnavailable):
        render_document(plan=established_plan, kind="record_copy", kinds=all_kinds)


def test_invitation_letter(invited_plan: Plan, all_kinds: frozenset[str]) -> None:
    meeting = invited_plan.meetings.filter(cancelled_at__isnull=True).order_by("starts_at")[0]
    document = render_document(
        plan=invited_plan, kind="invitation_letter", kinds=all_kinds, meeting=meeting
    )
    text = pdf_text(document.content)
    assert "Kallelse till SIP-möte" in text
    assert f"Hej {invited_plan.person.full_name}!" in text
    assert long_date(meeting.starts_at) in text
    for invitation in meeting.invitations.all():
        assert flat(invitation.invitee_name) in text
    assert meeting.organiser.display_name in text


def test_invitation_letter_needs_a_meeting_of_this_plan(
    established_plan: Plan, invited_plan: Plan, all_kinds: frozenset[str]
) -> None:
    other = invited_plan.meetings.first()
    with pytest.raises(DocumentUnavailable):
        render_document(plan=established_plan, kind="invitation_letter", kinds=all_kinds)
    with pytest.raises(DocumentUnavailable):
        render_document(
            plan=established_plan, kind="invitation_letter", kinds=all_kinds, meeting=other
        )


def test_large_print_is_18pt_or_more_and_complete(
    established_plan: Plan, all_kinds: frozenset[str]
) -> None:
    document = render_document(plan=established_plan, kind="large_print", kinds=all_kinds)
    sizes = font_sizes(document.content)
    assert sizes
    small = [(round(size, 1), text) for size, text in sizes if size < 18]
    assert small == []
    # One idea to a line, "label: value": without the colons, the same items as the plan.
    text = pdf_text(document.content).replace(":", "")
    for item in required_items(established_plan, all_kinds):
        assert item.replace(":", "") in text
    # The ordinary plan is set smaller: the measure can tell them apart.
    plan_pdf = render_document(plan=established_plan, kind="plan", kinds=all_kinds).content
    assert min(size for size, _ in font_sizes(plan_pdf)) < 18


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.invalid/x.png",
        "https://example.invalid/x.css",
        "data:text/css,body{}",
        "samplan-static:../../settings.py",
        "samplan-static:/etc/passwd",
        "samplan-static:documents/../../../../etc/passwd",
        "samplan-static:documents/missing.css",
        "samplan-static:",
        "/etc/passwd",
    ],
)
def test_static_file_refuses(url: str) -> None:
    assert static_file(url) is None


def test_static_file_serves_the_projects_own() -> None:
    path = static_file("samplan-static:documents/print.css")
    assert path is not None
    assert path.name == "print.css"
    assert any(path.is_relative_to(root) for root in pdf_module.static_roots())


def test_fetcher_fetches_nothing_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Markup that asks for the network, a local file or a data: URL gets nothing; the
    network is not even tried."""
    import urllib.request

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    fetcher = StaticOnlyFetcher()
    html = (
        '<html lang="sv"><head><title>t</title>'
        '<link rel="stylesheet" href="samplan-static:documents/print.css">'
        '<link rel="stylesheet" href="http://example.invalid/evil.css"></head><body>'
        '<img src="http://example.invalid/x.png" alt="x">'
        '<img src="file:///etc/passwd" alt="y">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="z">'
        "<p>text</p></body></html>"
    )
    content = html_to_pdf(html, fetcher=fetcher)
    assert "text" in pdf_text(content)
    assert fetcher.served == ["samplan-static:documents/print.css"]
    assert set(fetcher.refused) == {
        "http://example.invalid/evil.css",
        "http://example.invalid/x.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
    }
    assert b"root:" not in content
