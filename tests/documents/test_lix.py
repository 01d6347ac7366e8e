"""LIX, and the plain-language text of every demo plan scoring 35 or less."""

from __future__ import annotations

import pytest

from samplan.documents.content import document_content
from samplan.documents.lix import lix, lix_score, sentence_count, words
from samplan.documents.plain import plain_sections, plain_text
from samplan.plans.models import Plan


def test_lix_by_hand() -> None:
    # 9 words, 2 sentences, one word over six letters ("lixvärdet"): 9/2 + 100/9.
    score = lix_score("Det här är en mening. Vi testar lixvärdet nu.")
    assert (score.words, score.sentences, score.long_words) == (9, 2, 1)
    assert lix("Det här är en mening. Vi testar lixvärdet nu.") == pytest.approx(4.5 + 100 / 9)


def test_swedish_letters_are_letters() -> None:
    assert words("Åsa äter ölkorvar på Öland.") == ["Åsa", "äter", "ölkorvar", "på", "Öland"]
    # "ölkorvar" has eight letters: long. "Öland" five: not.
    assert lix_score("Åsa äter ölkorvar på Öland.").long_words == 1


def test_numbers_addresses_and_hyphens() -> None:
    assert words("Ring 010-123 45 67 eller mejla karin.holm@example.org nu") == [
        "Ring",
        "eller",
        "mejla",
        "nu",
    ]
    assert words("LSS-handläggning") == ["LSS-handläggning"]


def test_sentences_end_at_stops_and_lines() -> None:
    assert sentence_count("En. Två! Tre? Fyra: fem") == 5
    assert sentence_count("Rubrik\nEn mening här.\n\n12.30") == 2
    assert sentence_count("Klockan 10.00 börjar det.") == 1


def test_long_text_scores_higher() -> None:
    easy = "Jag går hem. Du går ut. Vi ses i dag."
    hard = (
        "Samordningsförbundets verksamhetsplanering förutsätter omfattande "
        "myndighetsgemensamma överenskommelser beträffande ansvarsfördelningen."
    )
    assert lix(easy) < 20 < 60 < lix(hard)


def test_every_demo_plan_reads_easily(db: None, all_kinds: frozenset[str]) -> None:
    plans = list(Plan.objects.select_related("person").order_by("pk"))
    with_content = 0
    scores = {}
    for plan in plans:
        content = document_content(plan=plan, kinds=all_kinds)
        with_content += bool(content.goals and content.interventions)
        text = plain_text(content)
        assert content.person_name in text
        scores[plan.pk] = lix(text)
    assert with_content >= 3, "the demo world has plans with goals and interventions"
    assert max(scores.values()) <= 35, scores


def test_plain_text_puts_the_persons_goals_first(
    established_plan: Plan, all_kinds: frozenset[str]
) -> None:
    content = document_content(plan=established_plan, kinds=all_kinds)
    text = plain_text(content)
    goal = content.goals[0]
    intervention = content.interventions[0]
    assert goal.person_words in text
    assert text.index(goal.person_words) < text.index(goal.shared_goal)
    assert text.index(goal.shared_goal) < text.index(intervention.description)
    assert content.coordinator.phone in text
    headings = [s.heading for s in plain_sections(content)]
    assert headings == ["Din plan", "Dina mål", "Vem gör vad", "Vem du kan ringa", "Vad händer nu"]
    # One sentence to a line, and short ones.
    for line in text.splitlines():
        assert len(words(line)) <= 25, line
