"""`samplan generate`, the plans: each plan's course from initiative to closure over ten
years (consent, participants, meetings and invitations, content, established versions,
follow-ups, deviations and the plan's own history), as rows for the bulk loader. Each step the
services would audit is handed to `Steps`, from which the audit log is written afterwards.

Over 600 lines on purpose: one plan's course is one walk through the lifecycle, and its steps
(consent before meetings, versions after meetings, follow-ups after versions) read each other.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from samplan.consent.models import Consent, ConsentDecision, information_kind_of
from samplan.demo.generate_course import (
    DAY,
    GOALS,
    INTERVENTIONS,
    NEEDS,
    REASONS,
    Course,
    PlanCounts,
    Steps,
    course_of,
    dt_of,
    partners_of,
    spread_versions,
    ts_of,
)
from samplan.demo.generate_figures import PlanFact, Planter, rng_between
from samplan.demo.generate_load import Loader, Table
from samplan.demo.generate_registry import Registry
from samplan.directory.models import PRINCIPAL_KINDS
from samplan.plans import lifecycle
from samplan.plans.models import (
    Deviation,
    FollowUp,
    Goal,
    Intervention,
    Invitation,
    Meeting,
    Need,
    Participant,
    Plan,
    PlanEvent,
    PlanState,
    PlanVersion,
)

Row = tuple[Any, ...]
Tick = Callable[[Iterable[Row]], Iterator[Row]]


class PlanWriter:
    """Writes every plan's rows, table by table, streaming (the loader reads the generators)."""

    def __init__(
        self, loader: Loader, reg: Registry, steps: Steps, until: date, planter: Planter
    ) -> None:
        self.loader = loader
        self.reg = reg
        self.steps = steps
        self.until = until
        self.planter = planter  # what the managers' figures count (generate_figures.py)
        self.manifest = planter.manifest
        self.buffers: dict[str, list[Row]] = {}
        self.ids: dict[str, int] = {}

    # Tables other than the plan fill buffers flushed every few thousand plans.
    TABLES: dict[str, tuple[type[Any], list[str]]] = {
        "participant": (Participant, ["id", "plan_id", "unit_id", "joined_at"]),
        "consent": (
            Consent,
            [
                "id",
                "plan_id",
                "decision",
                "given_by_representative_id",
                "method",
                "information_kinds",
                "given_at",
                "note",
                "recorded_by_id",
                "recorded_unit_id",
                "recorded_at",
                "revoked_at",
                "revoked_by_id",
                "revocation_note",
            ],
        ),
        "consent_org": (Consent.organisations.through, ["id", "consent_id", "organisation_id"]),
        "meeting": (
            Meeting,
            [
                "id",
                "plan_id",
                "starts_at",
                "ends_at",
                "mode",
                "location",
                "agenda",
                "uid",
                "held_at",
                "minutes",
                "organiser_id",
                "sip_time_id",
                "created_at",
            ],
        ),
        "invitation": (
            Invitation,
            [
                "id",
                "meeting_id",
                "unit_id",
                "external_name",
                "external_organisation",
                "email",
                "kind",
                "answer",
                "decline_reason",
                "answered_at",
                "answered_by_id",
                "attended",
                "created_at",
            ],
        ),
        "need": (Need, ["id", "plan_id", "kind", "description", "icf_code", "order"]),
        "goal": (Goal, ["id", "plan_id", "person_words", "shared_goal", "target_date", "order"]),
        "intervention": (
            Intervention,
            [
                "id",
                "plan_id",
                "description",
                "responsible_organisation_id",
                "responsible_unit_id",
                "status",
                "start_date",
                "goal_id",
                "order",
            ],
        ),
        "version": (
            PlanVersion,
            ["id", "plan_id", "number", "content", "established_at", "established_by_id"],
        ),
        "follow_up": (
            FollowUp,
            [
                "id",
                "plan_id",
                "due_date",
                "what",
                "result",
                "attainment",
                "done_at",
                "done_by_id",
                "version_number",
            ],
        ),
        "deviation": (
            Deviation,
            [
                "id",
                "plan_id",
                "kind",
                "description",
                "addressed_to_id",
                "status",
                "reported_by_id",
                "reported_unit_id",
                "reported_at",
                "resolution",
                "handled_at",
            ],
        ),
        "event": (PlanEvent, ["id", "plan_id", "kind", "at", "actor_id", "unit_id", "detail"]),
    }

    def run(self, rng: random.Random, counts: PlanCounts, tick: Tick) -> None:
        loader = self.loader
        courses = [course_of(rng, self.until) for _ in range(counts.plans)]
        spread_versions(courses, counts.versions, rng)
        n_versions = sum(c.versions for c in courses)
        expected = {
            "version": n_versions,
            "follow_up": n_versions,
            "meeting": n_versions,
            "invitation": n_versions * 3,
            "event": n_versions * 3,
            "need": counts.plans * 2,
            "intervention": counts.plans * 3,
            "goal": counts.plans * 2,
            "participant": counts.plans * 3,
            "consent": counts.plans,
            "consent_org": counts.plans * 3,
        }
        self.tables: dict[str, Table] = {}
        for key, (model, cols) in self.TABLES.items():
            self.tables[key] = loader.table(model, cols)
            self.ids[key] = loader.next_id(model)
            self.buffers[key] = []
            loader.prepare_large(model, expected.get(key, 0))
        plan_table = loader.table(
            Plan,
            [
                "id",
                "person_id",
                "plan_type",
                "state",
                "initiated_by",
                "initiated_on",
                "initiating_unit_id",
                "initiating_user_id",
                "on_behalf_of_id",
                "reasons",
                "need_groups",
                "initiative_note",
                "meeting_deadline",
                "lead_organisation_id",
                "coordinator_id",
                "coordinator_unit_id",
                "coordinator_phone",
                "coordinator_email",
                "time_plan",
                "evaluation_plan",
                "closure_reason",
                "closure_note",
                "closed_at",
                "revision",
                "created_at",
                "updated_at",
            ],
        )
        loader.prepare_large(Plan, counts.plans)
        self.plan_id = loader.next_id(Plan)
        self.tables["plan"] = plan_table
        self.buffers["plan"] = []
        # Plans first in each flush: the other rows point at them.
        self.buffers = {"plan": self.buffers.pop("plan"), **self.buffers}
        for _row in tick(self._plans(rng, courses)):
            pass
        self._flush(force=True)

    def _flush(self, *, force: bool = False) -> None:
        for key, rows in self.buffers.items():
            if rows and (force or len(rows) >= 20000):
                self.loader.write(self.tables[key], rows)
                self.buffers[key] = []
        if force:
            self.planter.flush()

    def _next(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] = value + 1
        return value

    def _plans(self, rng: random.Random, courses: list[Course]) -> Iterator[Row]:
        reg = self.reg
        principals = [*reg.region_ids, *reg.municipality_ids]
        weights = [45.0] + [55.0 / len(reg.municipality_ids)] * len(reg.municipality_ids)
        for n, course in enumerate(courses):
            init_org = rng.choices(principals, weights)[0]
            init_unit = rng.choice(reg.units_of[init_org])
            course.units = [init_unit, *partners_of(rng, reg, init_org)]
            course.units = list(dict.fromkeys(course.units))
            row = self._plan(rng, course)
            self.buffers["plan"].append(row)
            yield row
            if n % 2000 == 1999:
                self._flush(force=True)

    def _plan(self, rng: random.Random, c: Course) -> Row:
        reg, steps, until = self.reg, self.steps, self.until
        pid = self.plan_id
        self.plan_id += 1
        person = rng.choice(reg.person_ids)
        unit = c.units[0]
        org = reg.unit_org[unit]
        user = rng.choice(reg.staff_of[unit])
        start_ts = ts_of(c.start, rng)
        end_ts = ts_of(c.end, rng) if c.state == PlanState.CLOSED else ts_of(until, rng)
        end_ts = max(end_ts, start_ts + 600)
        steps.add(start_ts, "plan.initiate", person, user, unit, "plans.plan", pid)
        self._event(pid, "initiated", start_ts, user, unit, {})
        initiated_by, on_behalf_of, need_groups = self.planter.initiative(person)
        consented = c.state != "initiated" and c.closure != "consent_refused"
        # The units that see the plan once consent is given: all of them; before, the initiator.
        steps.plans.append(
            (pid, person, start_ts, end_ts, unit, tuple(c.units) if consented else (unit,))
        )
        for u in c.units:
            self.buffers["participant"].append((self._next("participant"), pid, u, dt_of(start_ts)))
        consent_ts = start_ts + rng.randint(DAY, 5 * DAY)
        if c.closure == "consent_refused":
            self._consent(
                rng,
                pid,
                c,
                person,
                ConsentDecision.REFUSED,
                min(consent_ts, end_ts - 60),
                user,
                unit,
                None,
            )
            steps.add(
                min(consent_ts, end_ts - 60),
                "consent.refused",
                person,
                user,
                unit,
                "plans.plan",
                pid,
            )
        elif consented:
            consent_ts = min(consent_ts, end_ts - 300)
            revoked = end_ts if c.closure == "consent_revoked" else None
            if c.state == "paused":
                revoked = max(end_ts - rng.randint(DAY, 60 * DAY), consent_ts + 60)
            self._consent(
                rng, pid, c, person, ConsentDecision.GIVEN, consent_ts, user, unit, revoked
            )
            steps.add(consent_ts, "consent.given", person, user, unit, "plans.plan", pid)
            if revoked:
                steps.add(revoked, "consent.revoke", person, user, unit, "plans.plan", pid)
                if c.state == "paused":
                    self._event(pid, "paused", revoked, user, unit, {})
        # Coordinator: staff of the initiating unit, once a meeting has named one.
        coordinator = (
            user if c.state not in lifecycle.BEFORE_FIRST_MEETING or c.established else None
        )
        has_content = coordinator is not None and c.closure not in ("consent_refused",)
        lead = org if coordinator else None
        new_lead = self.planter.lead_change(c.units, coordinator is not None)
        if new_lead is not None:
            # The lead organisation named, then handed to another principal (seed 004).
            named = min(consent_ts + DAY, end_ts - 120)
            handed = rng_between(self.planter.rng, named + 60, end_ts - 60)
            for ts in (named, handed):
                self._event(pid, "draft_changed", ts, user, unit, {"fields": ["lead_organisation"]})
                if self.manifest is not None:
                    self.manifest.lead_changes.append((pid, dt_of(ts)))
            lead = new_lead
        self.calling = lead if lead is not None else org
        goal_ids: list[int] = []
        if has_content:
            goal_ids = self._content(rng, pid, c, person, user, unit, consent_ts)
        # Meetings: one before each version; a pending one for an invited plan, a held one for
        # a plan whose meeting has been held.
        last_ts = consent_ts
        version_days = self._version_days(rng, c)
        content = self._snapshot(pid, c, coordinator, goal_ids) if c.versions else ""
        for number, day in enumerate(version_days, start=1):
            v_ts = max(ts_of(day, rng), last_ts + 3600)
            v_ts = min(v_ts, end_ts - 120)
            self._meeting(
                rng, pid, c, person, user, unit, v_ts - rng.randint(DAY, 7 * DAY), held=True
            )
            if number > 1:
                self._event(pid, "revision_started", v_ts - 2 * DAY, user, unit, {"reason": ""})
                steps.add(v_ts - 2 * DAY, "plan.revise", person, user, unit, "plans.plan", pid)
                self._follow_up(
                    rng, pid, number - 1, day, user, unit, person, done_ts=v_ts - 3 * DAY
                )
            vid = self._next("version")
            self.buffers["version"].append((vid, pid, number, content, dt_of(v_ts), user))
            if self.manifest is not None:
                self.manifest.versions.append((pid, number, dt_of(v_ts)))
            self._event(pid, "established", v_ts, user, unit, {"version": number})
            steps.add(v_ts, "plan.establish", person, user, unit, "plans.planversion", vid)
            last_ts = v_ts
        if c.versions:
            last_day = version_days[-1]
            due = last_day + timedelta(days=rng.randint(90, 180))
            done = c.state == PlanState.CLOSED and due < c.end
            self._follow_up(
                rng,
                pid,
                c.versions,
                last_day,
                user,
                unit,
                person,
                done_ts=ts_of(due, rng) if done else None,
            )
            if c.state == "revising":
                ts = max(end_ts - rng.randint(DAY, 30 * DAY), last_ts + 60)
                self._event(pid, "revision_started", ts, user, unit, {"reason": ""})
                steps.add(ts, "plan.revise", person, user, unit, "plans.plan", pid)
        elif c.state == "invited":
            self._meeting(
                rng,
                pid,
                c,
                person,
                user,
                unit,
                ts_of(until + timedelta(days=rng.randint(3, 20)), rng),
                held=False,
            )
        elif c.state == "meeting_held" or c.closure == "declined":
            self._meeting(
                rng,
                pid,
                c,
                person,
                user,
                unit,
                max(end_ts - rng.randint(DAY, 9 * DAY), consent_ts + 60),
                held=True,
            )
        if has_content and rng.random() < 0.15:
            self._deviation(rng, pid, c, person, user, unit, start_ts, end_ts)
        if has_content:
            self.planter.dispute(pid, c.units, user, start_ts, end_ts)
        closed_at = None
        if c.state == PlanState.CLOSED:
            closed_at = dt_of(end_ts)
            self._event(pid, "closed", end_ts, user, unit, {"reason": c.closure})
            steps.add(end_ts, "plan.close", person, user, unit, "plans.plan", pid)
        kind = reg.unit_kind[unit]
        plan_type = "IP" if kind == "lss" else "HP" if kind == "habilitation" else "SIP"
        reasons = json.dumps(rng.sample(REASONS, rng.randint(1, 3)))
        if self.manifest is not None:
            self.manifest.plans[pid] = PlanFact(
                pid=pid,
                unit=unit,
                organisation=org,
                units=tuple(c.units),
                state=c.state,
                plan_type=plan_type,
                initiated_by=initiated_by,
                initiated_on=c.start,
                deadline=c.start + timedelta(days=14),
                need_groups=tuple(json.loads(need_groups)),
                lead=lead,
                closed_at=closed_at,
                closure=c.closure,
            )
        return (
            pid,
            person,
            plan_type,
            c.state,
            initiated_by,
            c.start,
            unit,
            user,
            on_behalf_of,
            reasons,
            need_groups,
            "",
            c.start + timedelta(days=14),
            lead,
            coordinator,
            unit if coordinator else None,
            "010-123 45 67" if coordinator else "",
            f"samordnare{coordinator}@example.org" if coordinator else "",
            "Avstämning varje månad första halvåret." if coordinator else "",
            "Målen följs upp efter tre månader." if coordinator else "",
            c.closure,
            "",
            closed_at,
            1 + c.versions,
            dt_of(start_ts),
            dt_of(max(last_ts, end_ts if closed_at else last_ts)),
        )

    def _version_days(self, rng: random.Random, c: Course) -> list[date]:
        if not c.versions or c.first_established is None:
            return []
        span = max((c.end - c.first_established).days - 1, 1)
        step = span / c.versions
        return [c.first_established + timedelta(days=int(k * step)) for k in range(c.versions)]

    def _event(
        self, pid: int, kind: str, ts: int, user: int, unit: int, detail: dict[str, Any]
    ) -> None:
        row = (self._next("event"), pid, kind, dt_of(ts), user, unit, json.dumps(detail))
        self.buffers["event"].append(row)

    def _consent(
        self,
        rng: random.Random,
        pid: int,
        c: Course,
        person: int,
        decision: str,
        ts: int,
        user: int,
        unit: int,
        revoked: int | None,
    ) -> None:
        reg = self.reg
        cid = self._next("consent")
        orgs = (
            sorted({reg.unit_org[u] for u in c.units}) if decision == ConsentDecision.GIVEN else []
        )
        kinds = sorted(
            {
                "plan",
                "contact",
                *(
                    information_kind_of(
                        organisation_kind=reg.org_kind[reg.unit_org[u]], unit_kind=reg.unit_kind[u]
                    )
                    for u in c.units
                ),
            }
        )
        rep = None
        guardians = reg.guardians.get(person)
        if guardians:
            rep = guardians[0]
        self.buffers["consent"].append(
            (
                cid,
                pid,
                decision,
                rep,
                rng.choice(["oral", "written", "digital"]),
                json.dumps(kinds if orgs else []),
                dt_of(ts),
                "",
                user,
                unit,
                dt_of(ts),
                dt_of(revoked) if revoked else None,
                user if revoked else None,
                "",
            )
        )
        for o in orgs:
            self.buffers["consent_org"].append((self._next("consent_org"), cid, o))

    def _content(
        self, rng: random.Random, pid: int, c: Course, person: int, user: int, unit: int, ts: int
    ) -> list[int]:
        reg = self.reg
        for order, kind in enumerate(("need", "interest")):
            text, icf = (
                rng.choice(NEEDS)
                if kind == "need"
                else ("Tycker om att laga mat och promenera.", "")
            )
            nid = self._next("need")
            self.buffers["need"].append((nid, pid, kind, text, icf, order))
        self.steps.add(ts + 600, "need.add", person, user, unit, "plans.need", nid)
        goals = []
        for order in range(rng.randint(1, 2)):
            shared, words = rng.choice(GOALS)
            gid = self._next("goal")
            self.buffers["goal"].append(
                (gid, pid, words, shared, c.start + timedelta(days=365), order)
            )
            goals.append(gid)
        for order, u in enumerate(c.units):
            iid = self._next("intervention")
            self.buffers["intervention"].append(
                (
                    iid,
                    pid,
                    rng.choice(INTERVENTIONS),
                    reg.unit_org[u],
                    u,
                    "decided",
                    c.start,
                    rng.choice(goals),
                    order,
                )
            )
        self.steps.add(ts + 900, "intervention.add", person, user, unit, "plans.intervention", iid)
        return goals

    def _snapshot(self, pid: int, c: Course, coordinator: int | None, goals: list[int]) -> str:
        reg = self.reg
        unit = c.units[0]
        return json.dumps(
            {
                "plan_type": "SIP",
                "title": "",
                "lead_organisation": reg.org_name[reg.unit_org[unit]],
                "coordinator": {
                    "name": reg.user_name.get(coordinator or 0, ""),
                    "unit": f"{reg.unit_name[unit]}, {reg.org_name[reg.unit_org[unit]]}",
                    "phone": "010-123 45 67",
                    "email": f"samordnare{coordinator}@example.org",
                },
                "time_plan": "Avstämning varje månad första halvåret.",
                "evaluation_plan": "Målen följs upp efter tre månader.",
                "existing_plan_reference": "",
                "participants": sorted(
                    f"{reg.unit_name[u]}, {reg.org_name[reg.unit_org[u]]}" for u in c.units
                ),
                "consent_organisations": sorted({reg.org_name[reg.unit_org[u]] for u in c.units}),
                "needs": [],
                "goals": [
                    {"id": g, "person_words": "", "shared_goal": "", "target_date": ""}
                    for g in goals
                ],
                "interventions": [],
                "follow_ups": [],
            },
            ensure_ascii=False,
        )

    def _meeting(
        self,
        rng: random.Random,
        pid: int,
        c: Course,
        person: int,
        user: int,
        unit: int,
        ts: int,
        *,
        held: bool,
    ) -> None:
        reg = self.reg
        mid = self._next("meeting")
        created = ts - rng.randint(7 * DAY, 20 * DAY)
        sip_time = self.planter.sip_time(self.calling)
        if self.manifest is not None:
            self.manifest.meetings[mid] = (pid, dt_of(ts), held, sip_time is not None)
        self.buffers["meeting"].append(
            (
                mid,
                pid,
                dt_of(ts),
                dt_of(ts + 3600),
                "physical" if mid % 2 else "digital",
                "Socialkontoret, Storgatan 1",
                "Samordning av insatser",
                f"gen-{mid}@samplan",
                dt_of(ts + 120) if held else None,
                "Personen deltog." if held else "",
                user,
                sip_time,
                dt_of(created),
            )
        )
        self.steps.add(created, "meeting.schedule", person, user, unit, "plans.meeting", mid)
        for u in c.units[1:]:
            past = held or rng.random() < 0.5
            answer = (
                rng.choices(["accepted", "declined", "represented"], [85, 10, 5])[0]
                if past
                else "pending"
            )
            answerer = rng.choice(reg.staff_of[u])
            answered = created + rng.randint(3600, 5 * DAY) if past else None
            iid = self._next("invitation")
            reason = self.planter.decline_reason() if answer == "declined" else ""
            attended = (answer == "accepted") if held else None
            self.buffers["invitation"].append(
                (
                    iid,
                    mid,
                    u,
                    "",
                    "",
                    f"enhet{u}@example.org",
                    "summons" if reg.org_kind[reg.unit_org[u]] in PRINCIPAL_KINDS else "invitation",
                    answer,
                    reason,
                    dt_of(answered) if answered else None,
                    answerer if answered else None,
                    attended,
                    dt_of(created),
                )
            )
            if self.manifest is not None:
                self.manifest.invitations.append((mid, u, answer, attended, reason))
            if answered:
                self.steps.add(
                    answered, "invitation.answer", person, answerer, u, "plans.invitation", iid
                )
        if rng.random() < 0.3:
            iid = self._next("invitation")
            self.buffers["invitation"].append(
                (
                    iid,
                    mid,
                    None,
                    "Handläggare",
                    "Arbetsförmedlingen",
                    f"af{iid}@example.org",
                    "invitation",
                    "pending",
                    "",
                    None,
                    None,
                    None,
                    dt_of(created),
                )
            )
        if held:
            self._event(pid, "meeting_held", ts + 120, user, unit, {"meeting": mid})
            self.steps.add(ts + 120, "meeting.held", person, user, unit, "plans.meeting", mid)

    def _follow_up(
        self,
        rng: random.Random,
        pid: int,
        number: int,
        day: date,
        user: int,
        unit: int,
        person: int,
        *,
        done_ts: int | None,
    ) -> None:
        fid = self._next("follow_up")
        due = day + timedelta(days=rng.randint(90, 180))
        attainment = rng.choice(["achieved", "partly", "not_achieved"]) if done_ts else ""
        if self.manifest is not None:
            done = dt_of(done_ts) if done_ts else None
            self.manifest.follow_ups.append((pid, due, done, attainment))
        self.buffers["follow_up"].append(
            (
                fid,
                pid,
                due,
                "Hur insatserna fungerar och om målen närmar sig",
                "Följdes upp på mötet." if done_ts else "",
                attainment,
                dt_of(done_ts) if done_ts else None,
                user if done_ts else None,
                number if done_ts else None,
            )
        )
        if done_ts:
            self._event(pid, "followed_up", done_ts, user, unit, {"follow_up": fid})
            self.steps.add(done_ts, "follow_up.record", person, user, unit, "plans.followup", fid)

    def _deviation(
        self,
        rng: random.Random,
        pid: int,
        c: Course,
        person: int,
        user: int,
        unit: int,
        start: int,
        end: int,
    ) -> None:
        did = self._next("deviation")
        ts = rng.randint(start, end)
        to = self.reg.unit_org[c.units[-1]]
        handled = end - ts > 30 * DAY
        kind = rng.choice(["no_show", "not_delivered", "unanswered"])
        if self.manifest is not None:
            self.manifest.deviations.append(
                (pid, to, kind, dt_of(ts), dt_of(ts + 14 * DAY) if handled else None)
            )
        self.buffers["deviation"].append(
            (
                did,
                pid,
                kind,
                "Kom inte till SIP-mötet trots kallelse.",
                to,
                "handled" if handled else "open",
                user,
                unit,
                dt_of(ts),
                "Rutinen har setts över." if handled else "",
                dt_of(ts + 14 * DAY) if handled else None,
            )
        )
        self._event(pid, "deviation_reported", ts, user, unit, {"deviation": did})
        self.steps.add(ts, "deviation.report", person, user, unit, "plans.deviation", did)
