"""The EU AI Act classifier through its Python interface: every path of the rule tree, the rule
coverage of the YAML, invalid answers, application dates and the choice of rule set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.aiact_cases import CASES, ON, V2024, Case, annex_iii, answers, check, invariants

from gouvernail.aiact import AiActClassifier, Classification
from gouvernail.aiact.questions import Kind
from gouvernail.errors import GouvernailError

V2026 = "eu-ai-act-2026.1"


@pytest.fixture(scope="module")
def classifier() -> AiActClassifier:
    return AiActClassifier.load_default()


def run(classifier: AiActClassifier, case: Case) -> Classification:
    return classifier.classify(case.answers, on=case.on, ruleset=case.ruleset)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule_tree_path(classifier: AiActClassifier, case: Case) -> None:
    result = run(classifier, case)
    check(case, result)
    invariants(result)
    assert result.ruleset == (case.ruleset or V2026)
    assert result.classified_on == case.on


def test_every_rule_obligation_and_answer_is_reached(classifier: AiActClassifier) -> None:
    """Rule coverage of the shipped YAML: each rule fires, each obligation applies and each
    allowed answer is given in at least one case of the table, so every path stays tested."""
    fired: set[str] = set()
    applied: set[str] = set()
    given: set[tuple[str, Any]] = set()
    for case in CASES:
        result = run(classifier, case)
        fired |= {reason.rule for reason in result.reasons}
        applied |= {o.id for o in [*result.obligations, *result.transparency_duties]}
        for question, answer in result.answers.items():
            given |= {
                (question, value) for value in (answer if isinstance(answer, list) else [answer])
            }
    for ruleset in classifier.catalogue.rulesets.values():
        assert {rule.id for rule in ruleset.rules} - fired == set(), ruleset.version
        assert {o.id for o in ruleset.obligations} - applied == set(), ruleset.version
        expected = {
            (q.id, value)
            for q in ruleset.questions
            for value in ([True, False] if q.kind is Kind.YES_NO else q.values)
        }
        assert expected - given == set(), ruleset.version


# --- invalid answers -------------------------------------------------------------------------

PROFILING = {
    "annex_iii_areas": ["employment"],
    "annex_iii_employment": ["recruitment_selection"],
    "profiles_natural_persons": True,
    "deployer_sector": "private",
}

INVALID: list[tuple[str, dict[str, Any], str, str, str]] = [
    ("unknown question", answers(colour="blue"), "colour", "unknown_question", "unknown question"),
    (
        "yes/no answered with text",
        answers(annex_i_product="medical_devices", third_party_conformity="yes"),
        "third_party_conformity",
        "invalid_answer",
        "true or false",
    ),
    ("value not allowed", answers(role="owner"), "role", "invalid_answer", "choose one of"),
    (
        "many-of given a single value",
        answers(annex_iii_areas="employment"),
        "annex_iii_areas",
        "invalid_answer",
        "non-empty list",
    ),
    (
        "many-of left empty",
        answers(transparency_features=[]),
        "transparency_features",
        "invalid_answer",
        "non-empty list",
    ),
    (
        "many-of with an unknown value",
        answers(prohibited_practices=["mind_reading"]),
        "prohibited_practices",
        "invalid_answer",
        "'mind_reading' is not an allowed answer",
    ),
    (
        "'none' together with a practice",
        answers(prohibited_practices=["social_scoring", "none"]),
        "prohibited_practices",
        "contradictory_answers",
        "cannot be combined",
    ),
    ("first question missing", answers(role=None), "role", "missing_answer", "needs an answer"),
    (
        "follow-up missing",
        answers(annex_i_product="medical_devices"),
        "third_party_conformity",
        "missing_answer",
        "needs an answer",
    ),
    (
        "Annex III use missing",
        answers(annex_iii_areas=["employment"], profiles_natural_persons=False),
        "annex_iii_employment",
        "missing_answer",
        "needs an answer",
    ),
    (
        "Art. 6(3) condition missing",
        {**answers(), **PROFILING, "profiles_natural_persons": False},
        "art_6_3_condition",
        "missing_answer",
        "Art. 6(3)",
    ),
    (
        "third-party assessment asserted without an Annex I product",
        answers(third_party_conformity=True),
        "third_party_conformity",
        "contradictory_answers",
        "annex_i_product",
    ),
    (
        "an Art. 6(3) exception claimed while profiling",
        {**answers(), **PROFILING, "art_6_3_condition": "narrow_procedural_task"},
        "art_6_3_condition",
        "contradictory_answers",
        "always high-risk",
    ),
    (
        "an Art. 6(3) exception claimed without an Annex III area",
        answers(art_6_3_condition="preparatory_task"),
        "art_6_3_condition",
        "contradictory_answers",
        "Annex III",
    ),
    (
        "an Annex III use of an area not selected",
        answers(annex_iii_employment=["recruitment_selection"]),
        "annex_iii_employment",
        "contradictory_answers",
        "annex_iii_areas",
    ),
    (
        "systemic risk without a general-purpose model",
        answers(general_purpose="built_on_gpai_model", gpai_systemic_risk=True),
        "gpai_systemic_risk",
        "contradictory_answers",
        "general_purpose",
    ),
    (
        "Art. 25 trigger for a provider",
        answers(role="provider", art_25_triggers=["name_or_trademark"]),
        "art_25_triggers",
        "contradictory_answers",
        "role",
    ),
    (
        "public-sector deployer question for a provider",
        {**answers(role="provider"), **PROFILING, "deployer_sector": "public_authority"},
        "deployer_sector",
        "contradictory_answers",
        "role",
    ),
    (
        "emotion recognition outside Annex III, point 1(c)",
        answers(transparency_features=["emotion_recognition"]),
        "transparency_features",
        "contradictory_answers",
        "Annex III, point 1(c)",
    ),
]


@pytest.mark.parametrize(
    ("answers_given", "field", "code", "message"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_answers_name_the_question(
    classifier: AiActClassifier, answers_given: dict[str, Any], field: str, code: str, message: str
) -> None:
    with pytest.raises(GouvernailError) as refused:
        classifier.classify(answers_given, on=ON)
    assert (refused.value.status, refused.value.field, refused.value.code) == (422, field, code)
    assert message in refused.value.message
    assert refused.value.message.startswith(f"{field}: ")


def test_practice_of_2026_is_unknown_to_the_2024_rules(classifier: AiActClassifier) -> None:
    given = answers(prohibited_practices=["child_sexual_abuse_material"])
    with pytest.raises(GouvernailError) as refused:
        classifier.classify(given, on=ON, ruleset=V2024)
    assert refused.value.field == "prohibited_practices"
    assert classifier.classify(given, on=ON).tier == "prohibited"


def test_answers_must_be_a_mapping(classifier: AiActClassifier) -> None:
    with pytest.raises(GouvernailError) as refused:
        classifier.classify(["role", "provider"], on=ON)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.field) == (422, "answers")


def test_neutral_answers_off_the_path_are_ignored(classifier: AiActClassifier) -> None:
    given = answers(
        role="provider",
        third_party_conformity=False,
        art_6_3_condition="none",
        synthetic_content_assistive_only=False,
        gpai_systemic_risk=False,
        art_25_triggers=["none"],
        deployer_sector="private",
    )
    result = classifier.classify(given, on=ON)
    assert result.tier == "minimal"
    assert set(result.ignored_answers) == {
        "third_party_conformity",
        "art_6_3_condition",
        "synthetic_content_assistive_only",
        "gpai_systemic_risk",
        "art_25_triggers",
        "deployer_sector",
    }
    assert not set(result.ignored_answers) & set(result.answers)


def test_many_of_answers_are_deduplicated(classifier: AiActClassifier) -> None:
    result = classifier.classify(
        answers(prohibited_practices=["social_scoring", "social_scoring"]), on=ON
    )
    assert result.prohibited_practices == ["social_scoring"]


# --- dates -----------------------------------------------------------------------------------

MEDICAL = answers(annex_i_product="medical_devices", third_party_conformity=True)
RECRUITING = annex_iii(
    "employment", "annex_iii_employment", ["recruitment_selection"], deployer_sector="private"
)


@pytest.mark.parametrize(
    ("obligation", "given", "version", "day"),
    [
        ("ai_literacy", answers(), None, dt.date(2025, 2, 2)),
        (
            "stop_prohibited_practice",
            answers(prohibited_practices=["social_scoring"]),
            None,
            dt.date(2025, 2, 2),
        ),
        (
            "gpai_technical_documentation",
            answers(general_purpose="provides_gpai_model", gpai_systemic_risk=False),
            None,
            dt.date(2025, 8, 2),
        ),
        (
            "interaction_disclosure",
            answers(transparency_features=["interacts_with_persons"]),
            None,
            dt.date(2026, 8, 2),
        ),
        (
            "stop_prohibited_practice",
            answers(prohibited_practices=["non_consensual_intimate_content"]),
            None,
            dt.date(2026, 12, 2),
        ),
        ("risk_management", RECRUITING, V2024, dt.date(2026, 8, 2)),
        ("risk_management", RECRUITING, None, dt.date(2027, 12, 2)),
        ("risk_management", MEDICAL, V2024, dt.date(2027, 8, 2)),
        ("risk_management", MEDICAL, None, dt.date(2028, 8, 2)),
    ],
)
def test_obligation_applies_from_its_date(
    classifier: AiActClassifier,
    obligation: str,
    given: dict[str, Any],
    version: str | None,
    day: dt.date,
) -> None:
    states = {}
    for on in (day - dt.timedelta(days=1), day):
        result = classifier.classify(given, on=on, ruleset=version)
        found = next(o for o in result.obligations if o.id == obligation)
        assert found.applies_from == day
        states[on] = found.in_force
    assert states == {day - dt.timedelta(days=1): False, day: True}


def test_amended_dates_say_so_and_keep_their_history(classifier: AiActClassifier) -> None:
    old = classifier.classify(RECRUITING, on=ON, ruleset=V2024)
    new = classifier.classify(RECRUITING, on=ON)
    before = next(o for o in old.obligations if o.id == "risk_management")
    after = next(o for o in new.obligations if o.id == "risk_management")
    assert (before.applies_from, before.amended, before.in_force) == (
        dt.date(2026, 8, 2),
        False,
        True,
    )
    assert (after.applies_from, after.amended, after.in_force) == (
        dt.date(2027, 12, 2),
        True,
        False,
    )
    assert "2026/1744" in after.source
    assert "2026/1744" not in before.source
    views = {view.version: view for view in classifier.rulesets(on=ON)}
    dates = {d.key: d for d in views[V2026].application_dates}
    assert [(s.date, s.source) for s in dates["annex_iii_high_risk"].superseded] == [
        (
            dt.date(2026, 8, 2),
            "Regulation (EU) 2024/1689, Art. 113, second paragraph (general date of application)",
        )
    ]
    assert dates["annex_i_high_risk"].superseded[0].date == dt.date(2027, 8, 2)
    assert all(d.source for view in views.values() for d in view.application_dates)


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (dt.date(2024, 8, 1), V2024),
        (dt.date(2026, 7, 26), V2024),
        (dt.date(2026, 7, 27), V2026),
        (dt.date(2031, 1, 1), V2026),
    ],
)
def test_rule_set_in_force_on_a_date(
    classifier: AiActClassifier, day: dt.date, version: str
) -> None:
    assert classifier.classify(answers(), on=day).ruleset == version
    assert classifier.questionnaire(on=day).ruleset == version
    in_force = [view.version for view in classifier.rulesets(on=day) if view.in_force]
    assert in_force == [version]


def test_no_rule_set_before_the_act_entered_into_force(classifier: AiActClassifier) -> None:
    with pytest.raises(GouvernailError) as refused:
        classifier.classify(answers(), on=dt.date(2024, 7, 31))
    assert (refused.value.status, refused.value.field) == (422, "on")
    assert "2024-08-01" in refused.value.message
    assert not any(view.in_force for view in classifier.rulesets(on=dt.date(2024, 7, 31)))


def test_default_date_is_today(classifier: AiActClassifier) -> None:
    today = dt.datetime.now(dt.UTC).date()
    result = classifier.classify(answers())
    assert result.classified_on == today
    assert result.ruleset == classifier.ruleset(today).version


def test_rule_set_by_version(classifier: AiActClassifier) -> None:
    assert classifier.classify(answers(), on=ON, ruleset=V2024).ruleset == V2024
    with pytest.raises(GouvernailError) as refused:
        classifier.classify(answers(), on=ON, ruleset="eu-ai-act-1999")
    assert (refused.value.status, refused.value.field) == (422, "ruleset")
    assert V2026 in refused.value.message


# --- the questionnaire -------------------------------------------------------------------------


def test_questionnaire_is_a_tree_in_two_languages(classifier: AiActClassifier) -> None:
    english = classifier.questionnaire(on=ON)
    french = classifier.questionnaire(on=ON, lang="fr")
    assert [q.id for q in english.questions] == [q.id for q in french.questions]
    assert english.questions[0].id == "role"
    assert english.questions[1].id == "prohibited_practices"
    assert english.questions[1].ends_when == {
        "not": {"answer": "prohibited_practices", "includes": "none"}
    }
    by_id = {q.id: q for q in english.questions}
    assert by_id["third_party_conformity"].ask_when == {
        "not": {"answer": "annex_i_product", "is": "none"}
    }
    assert by_id["third_party_conformity"].allowed == [True, False]
    assert by_id["third_party_conformity"].neutral is False
    assert by_id["prohibited_practices"].options[-1].value == "none"
    assert by_id["prohibited_practices"].options[-1].exclusive
    practices = {o.value: o.article for o in by_id["prohibited_practices"].options}
    assert practices["social_scoring"] == "Art. 5(1)(c)"
    assert practices["child_sexual_abuse_material"] == "Art. 5(1)(bb)"
    for english_q, french_q in zip(english.questions, french.questions, strict=True):
        assert english_q.text != french_q.text
    assert "Quel est le rôle" in french.questions[0].text
    old = classifier.questionnaire(on=dt.date(2025, 1, 1))
    assert old.ruleset == V2024
    old_practices = next(q for q in old.questions if q.id == "prohibited_practices")
    assert "child_sexual_abuse_material" not in old_practices.allowed


def test_every_question_and_application_date_is_documented(classifier: AiActClassifier) -> None:
    with open("docs/ai-act.md", encoding="utf-8") as handle:
        docs = handle.read()
    for ruleset in classifier.catalogue.rulesets.values():
        assert f"`{ruleset.version}`" in docs
        for question in ruleset.questions:
            assert f"`{question.id}`" in docs, question.id
        for key in ruleset.application_dates:
            assert f"`{key}`" in docs, key
