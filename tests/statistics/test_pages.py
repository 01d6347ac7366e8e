"""The statistics page, its exports and its report, against the access helper's contract
(samplan/authz/access/statistics.py): here the helper is replaced by one that answers with
hand-made tables, so that the page's own behaviour is tested alone: the period and the
organisation asked for, bad input next to its field with 400, the empty period, the 404 of
someone who is not a manager, the files. test_pages_world.py asks the real helper."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from samplan.authz.policy import Action, Denied
from samplan.directory.models import Organisation
from samplan.plans.models import Plan
from samplan.statistics.tables import Protected, Table
from samplan.web.statistics import views
from samplan.web.statistics.forms import last_full_quarter
from tests.statistics.sample_tables import BEFORE, PERIOD, attendance, by_state, hostile

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class FakeView:
    """The contract's StatisticsView, field for field."""

    period_from: date
    period_to: date
    previous_from: date
    previous_to: date
    tables: tuple[Table, ...]
    previous: tuple[Table, ...]
    back_and_forth: tuple[Plan, ...]
    back_and_forth_hidden: int | Protected
    organisations: tuple[Organisation, ...]
    organisation: Organisation | None
    threshold: int = 5

    @property
    def back_and_forth_visible(self) -> int:
        return len(self.back_and_forth)


@dataclass
class Helper:
    """Stands in for access_statistics: records each call, answers with `view`, or raises."""

    view: FakeView
    calls: list[dict[str, Any]] = field(default_factory=list)
    refuse: bool = False
    invalid: dict[str, str] = field(default_factory=dict)

    def __call__(self, **kwargs: Any) -> FakeView:
        self.calls.append(kwargs)
        if self.refuse:
            raise Denied(Action.STATISTICS_VIEW, actor=kwargs["actor"])
        if self.invalid and kwargs.get("organisation_id") is not None:
            raise ValidationError(self.invalid)
        return replace(
            self.view,
            period_from=kwargs["period_from"],
            period_to=kwargs["period_to"],
            organisation=next(
                (o for o in self.view.organisations if o.pk == kwargs.get("organisation_id")),
                None,
            ),
        )


def make_view() -> FakeView:
    organisations = tuple(Organisation.objects.order_by("name")[:2])
    return FakeView(
        period_from=PERIOD[0],
        period_to=PERIOD[1],
        previous_from=BEFORE[0],
        previous_to=BEFORE[1],
        tables=(
            by_state((4, 12, Protected(5))),
            attendance((("Ekbacka kommun", "Region Sjöland", "2026-Q3", 10, 7),)),
            hostile(),
        ),
        previous=(
            by_state((6, 10, 9), period=BEFORE),
            attendance((("Ekbacka kommun", "Region Sjöland", "2026-Q2", 8, 8),)),
            hostile(),
        ),
        back_and_forth=tuple(Plan.objects.select_related("person").order_by("pk")[:2]),
        back_and_forth_hidden=Protected(5),
        organisations=organisations,
        organisation=None,
    )


@pytest.fixture
def helper(monkeypatch: pytest.MonkeyPatch) -> Helper:
    fake = Helper(make_view())
    monkeypatch.setattr(views, "access_statistics", fake)
    return fake


@pytest.fixture
def manager(login: Callable[[str], Client]) -> Client:
    return login("karin.holm")


URL = "/statistics/"


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 12, 2), date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 1, 1), date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 3, 31), date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 4, 1), date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_the_default_period_is_the_last_full_quarter(today: date, start: date, end: date) -> None:
    assert last_full_quarter(today) == (start, end)


def test_the_page_asks_for_the_last_full_quarter_and_shows_every_table(
    manager: Client, helper: Helper
) -> None:
    response = manager.get(URL)
    assert response.status_code == 200
    start, end = last_full_quarter(timezone.localdate())
    assert helper.calls[0]["period_from"] == start
    assert helper.calls[0]["period_to"] == end
    assert helper.calls[0]["organisation_id"] is None
    html = response.content.decode()
    assert "<h1>Statistik</h1>" in html
    assert f"{start:%Y-%m-%d} – {end:%Y-%m-%d}" in html
    assert "2026-04-01 – 2026-06-30" in html
    for title in ("Planer per tillstånd", "Kallelser och närvaro"):
        assert f">{title}</h2>" in html
    # Each chart is an image with its title, the same numbers in the table beside it.
    assert html.count('role="img"') == 3
    assert "Diagram: Planer per tillstånd" in html
    assert '<td class="num">&lt;5</td>' in html
    assert "Planer per tillstånd jämfört med perioden före" in html
    # The period before, whole, below the comparison.
    assert "Perioden före, 2026-04-01 – 2026-06-30, som tabell" in html
    before = html.split('id="caption-previous-plans_by_state"')[1].split("</table>")[0]
    assert '<th scope="row">Avslutad</th><td class="num">9</td>' in before


def test_the_links_carry_the_period_and_the_organisation_shown(
    manager: Client, helper: Helper
) -> None:
    org = helper.view.organisations[1]
    response = manager.get(
        URL, {"period_from": "2026-01-01", "period_to": "2026-03-31", "organisation": str(org.pk)}
    )
    assert response.status_code == 200
    assert helper.calls[-1]["organisation_id"] == org.pk
    query = f"period_from=2026-01-01&amp;period_to=2026-03-31&amp;organisation={org.pk}"
    html = response.content.decode()
    assert f'href="/statistics/export/plans_by_state.csv?{query}"' in html
    assert f'href="/statistics/export/attendance.xlsx?{query}"' in html
    assert f'href="/statistics/report.pdf?{query}"' in html
    assert f'<option value="{org.pk}" selected>{org.name}</option>' in html


def test_sent_back_and_forth_plans_link_to_their_pages_and_the_others_are_counted(
    manager: Client, helper: Helper
) -> None:
    html = manager.get(URL).content.decode()
    for plan in helper.view.back_and_forth:
        assert f'<a href="{plan.get_absolute_url()}">{plan.person.full_name}</a>' in html
    assert "Ytterligare &lt;5 sådana planer finns som du inte kan se." in html


@pytest.mark.parametrize(
    ("params", "field_id", "message"),
    [
        (
            {"period_from": "2026-13-01", "period_to": "2026-09-30"},
            "id_period_from",
            "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-07-01.",
        ),
        (
            {"period_from": "2026-09-30", "period_to": "2026-07-01"},
            "id_period_to",
            "Slutdatumet kan inte ligga före startdatumet.",
        ),
        ({"organisation": "abc"}, "id_organisation", "Välj en organisation i listan."),
        ({"organisation": "99999999999999999999"}, "id_organisation", "Välj en organisation"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_with_the_default_figures(
    manager: Client, helper: Helper, params: dict[str, str], field_id: str, message: str
) -> None:
    response = manager.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary"' in html
    assert f'href="#{field_id}"' in html
    assert f'id="{field_id}"' in html
    assert 'aria-invalid="true"' in html
    # Figures are still shown, for a period the helper took, without the organisation.
    assert helper.calls[-1]["organisation_id"] is None
    assert ">Planer per tillstånd</h2>" in html


def test_an_organisation_the_helper_refuses_is_shown_next_to_the_field(
    manager: Client, helper: Helper
) -> None:
    helper.invalid = {"organisation": "Välj en organisation i listan."}
    response = manager.get(
        URL, {"period_from": "2026-01-01", "period_to": "2026-03-31", "organisation": "424242"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Välj en organisation i listan." in html
    assert 'href="#id_organisation"' in html
    # The period asked for stands; the figures are shown without the organisation.
    assert helper.calls[-1]["organisation_id"] is None
    assert helper.calls[-1]["period_from"] == date(2026, 1, 1)
    assert "2026-01-01 – 2026-03-31" in html


def test_a_period_without_figures_is_an_empty_labelled_result(
    manager: Client, helper: Helper
) -> None:
    empty = by_state((0, 0, 0))
    helper.view = replace(
        helper.view,
        tables=(Table(empty.key, empty.title, empty.columns, ()),),
        previous=(),
        back_and_forth=(),
        back_and_forth_hidden=0,
    )
    response = manager.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Inga uppgifter för perioden: Planer per tillstånd." in html
    assert "Inga sådana planer som du kan se under perioden." in html
    assert "Ytterligare" not in html


@pytest.mark.parametrize(
    "url",
    [URL, "/statistics/export/plans_by_state.csv", "/statistics/report.pdf"],
)
def test_someone_who_is_not_a_manager_gets_404_whatever_the_input(
    manager: Client, helper: Helper, url: str
) -> None:
    helper.refuse = True
    assert manager.get(url).status_code == 404
    assert manager.get(url, {"period_from": "nonsense"}).status_code == 404


def test_not_signed_in_goes_to_the_login_page(client: Client, helper: Helper) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert helper.calls == []


def test_a_table_downloads_as_csv_escaped(manager: Client, helper: Helper) -> None:
    response = manager.get("/statistics/export/deviations.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="statistik-deviations-20260701-20260930.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd"]
    assert rows[2][2] == "<5"


def test_a_table_downloads_as_xlsx(manager: Client, helper: Helper) -> None:
    response = manager.get("/statistics/export/plans_by_state.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[5]] == ["Initierad", 4]
    assert [c.value for c in sheet[7]] == ["Avslutad", "<5"]


@pytest.mark.parametrize(
    "url", ["/statistics/export/no_such_table.csv", "/statistics/export/plans_by_state.ods"]
)
def test_an_unknown_table_or_format_is_404(manager: Client, helper: Helper, url: str) -> None:
    assert manager.get(url).status_code == 404


def test_a_file_asked_for_with_bad_input_says_why_with_400(manager: Client, helper: Helper) -> None:
    for url in ("/statistics/export/plans_by_state.csv", "/statistics/report.pdf"):
        response = manager.get(url, {"period_from": "2026-09-30", "period_to": "2026-07-01"})
        assert response.status_code == 400
        assert response.content.decode() == "Slutdatumet kan inte ligga före startdatumet."


def test_the_report_is_a_pdf_of_the_period(manager: Client, helper: Helper) -> None:
    response = manager.get(
        "/statistics/report.pdf", {"period_from": "2026-07-01", "period_to": "2026-09-30"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="statistik-20260701-20260930.pdf"' in response["Content-Disposition"]


def test_the_page_reads_few_rows_of_its_own(
    manager: Client, helper: Helper, django_assert_max_num_queries: Any
) -> None:
    # The helper's own queries are counted in test_pages_world.py; here: the session, the
    # user, the acting unit, the roles and the inbox badge of the base layout, and the name of
    # the manager's organisation; nothing per table. 12: the menu's link to the agreements
    # register asks the policy (the administrator role and whether an agreement is visible),
    # and the inbox badge, counted twice before, is counted once (tests/test_menu.py).
    with django_assert_max_num_queries(12):
        assert manager.get(URL).status_code == 200


def test_the_page_answers_in_english_too(manager: Client, helper: Helper) -> None:
    from django.conf import settings

    manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = manager.get(URL)
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


def test_a_table_empty_now_still_shows_the_period_before(manager: Client, helper: Helper) -> None:
    now = by_state((0, 0, 0))
    helper.view = replace(
        helper.view,
        tables=(Table(now.key, now.title, now.columns, ()),),
        previous=(by_state((6, 10, 9), period=BEFORE),),
    )
    html = manager.get(URL).content.decode()
    assert "Inga uppgifter för perioden: Planer per tillstånd." in html
    assert 'id="caption-previous-plans_by_state"' in html
