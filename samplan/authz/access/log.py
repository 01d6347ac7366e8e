"""Reaching the audit log's review page, which names persons too.

Whose log a reviewer may read is the policy's (`policy.reviewable_organisations`, used by
`audit.selectors.reviewer_organisations`); the helper here audits each person the page names
by the organisation through whose log the person shows."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from samplan.audit import extract, selectors
from samplan.audit import services as audit_log
from samplan.audit.actions import AuditAction
from samplan.authz import policy
from samplan.authz.actor import Actor
from samplan.directory.models import Organisation, Person
from samplan.directory.selectors import persons_matching

PERSON_LOOKUP_LIMIT = 20


def access_review_page(
    *,
    actor: Actor,
    filters: selectors.ReviewFilters,
    before: int | None = None,
    after: int | None = None,
) -> selectors.ReviewPage:
    """One page of the log review: one audit event per person it names (in the rows, or
    chosen as the filter), by the reviewer acting through the organisation whose log shows the
    person, with the filters used and the events shown. A page that names no one is recorded
    once, with its filters. All in one insert."""
    organisations = selectors.reviewer_organisations(actor=actor)
    page = selectors.review_page(actor=actor, filters=filters, before=before, after=after)
    by_org = {o.pk: o for o in organisations}
    fallback = by_org.get(filters.organisation_id or 0, organisations[0])
    shown: dict[tuple[int, int], tuple[Person, Organisation, list[int]]] = {}
    for row in page.rows:
        person = row.event.person
        if person is None:
            continue
        organisation = by_org.get(row.event.actor_organisation_id or 0, fallback)
        key = (person.pk, organisation.pk)
        shown.setdefault(key, (person, organisation, []))[2].append(row.event.pk)
    if filters.person_id is not None and not any(k[0] == filters.person_id for k in shown):
        chosen = Person.objects.filter(pk=filters.person_id).first()
        if chosen is not None:
            shown[(chosen.pk, fallback.pk)] = (chosen, fallback, [])
    query = filters.as_json()
    entries: list[dict[str, Any]] = [
        {
            "person": person,
            "organisation": organisation,
            "ground": "log review",
            "detail": {"filters": query, "events": events},
        }
        for person, organisation, events in shown.values()
    ]
    if not entries:
        entries = [
            {
                "person": None,
                "organisation": fallback,
                "ground": "log review",
                "detail": {"filters": query, "events": [r.event.pk for r in page.rows]},
            }
        ]
    audit_log.record_many(actor=actor, action=AuditAction.AUDIT_REVIEW_READ, entries=entries)
    return page


def access_review_person_lookup(*, actor: Actor, query: str) -> list[Person]:
    """Find a person to filter the log by, among the persons the reviewed organisations' staff
    have touched (`policy.reviewable_persons`). The query came in a POST body (no identity
    number in a URL); the search is audited with its hits."""
    organisations = selectors.reviewer_organisations(actor=actor)
    query = query.strip()
    if len(query) < 2:
        return []
    digits = re.sub(r"[^0-9]", "", query)
    found = persons_matching(policy.reviewable_persons(actor), query)
    result = list(found.order_by("family_name", "given_name")[:PERSON_LOOKUP_LIMIT])
    audit_log.record(
        actor=actor,
        organisation=organisations[0],
        action=AuditAction.AUDIT_REVIEW_PERSON_SEARCH,
        ground="log review",
        detail={"hits": [p.pk for p in result], "by": "number" if digits else "name"},
    )
    return result


def access_audit_extract(
    *,
    actor: Actor,
    person: Person,
    fmt: str,
    period_from: date | None = None,
    period_to: date | None = None,
) -> extract.Extract:
    """The extract of who read `person`'s data: the person's own, or a reviewer's for the
    organisations he or she reviews (`policy.audit_extract_scope`, refused otherwise).
    Producing it is itself audited ("audit.extract")."""
    result = extract.extract_build(
        actor=actor, person=person, period_from=period_from, period_to=period_to
    )
    organisations = result.organisations
    audit_log.record(
        actor=actor,
        organisation=organisations[0] if organisations else None,
        action=AuditAction.AUDIT_EXTRACT,
        person=person,
        ground="log review" if organisations else "own extract",
        detail={
            "format": fmt,
            "period": [result.period_from.isoformat(), result.period_to.isoformat()],
            "organisations": [o.pk for o in organisations],
            "rows": len(result.rows),
        },
    )
    return result
