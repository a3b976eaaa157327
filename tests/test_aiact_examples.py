"""Independent cases written from the AI Act's own examples (recitals, Annex III, Art. 25, 27
and 50), each answered in full as a user would, classified on 21 November 2026."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.aiact_cases import Case, check, invariants

from gouvernail.aiact import AiActClassifier

ON = dt.date(2026, 11, 21)
NOTHING: dict[str, Any] = {
    "prohibited_practices": ["none"],
    "annex_i_product": "none",
    "annex_iii_areas": ["none"],
    "transparency_features": ["none"],
    "general_purpose": "none",
}

EXAMPLES: list[Case] = [
    Case(
        "CV-screening tool bought from a vendor, ranking candidates (recital 57, Annex III 4(a))",
        {
            **NOTHING,
            "role": "deployer",
            "annex_iii_areas": ["employment"],
            "annex_iii_employment": ["recruitment_selection"],
            "profiles_natural_persons": True,
            "deployer_sector": "private",
            "art_25_triggers": ["none"],
        },
        "high",
        "annex_iii",
        articles=("Annex III, point 4(a)", "Art. 6(2)", "Art. 26"),
        obligations=("deployer_duties", "inform_affected_persons", "ai_literacy"),
        absent=("risk_management", "fundamental_rights_impact_assessment"),
        fields={"annex_iii_uses": ["recruitment_selection"], "profiling_override": True},
        dates={"deployer_duties": "2027-12-02"},
    ),
    Case(
        "diagnostic software, a class IIb medical device assessed by a notified body (recital 51)",
        {
            **NOTHING,
            "role": "provider",
            "annex_i_product": "medical_devices",
            "third_party_conformity": True,
        },
        "high",
        "annex_i",
        articles=("Art. 6(1)", "Annex I, Section A, point 11", "Art. 43"),
        obligations=("risk_management", "technical_documentation", "conformity_assessment"),
        fields={"annex_i_section": "A"},
        dates={"conformity_assessment": "2028-08-02"},
    ),
    Case(
        "wellness app of class I under the medical device rules: no notified body",
        {
            **NOTHING,
            "role": "provider",
            "annex_i_product": "medical_devices",
            "third_party_conformity": False,
        },
        "minimal",
        articles=("Art. 6(1)(b)",),
        absent=("risk_management",),
    ),
    Case(
        "customer-service chatbot built in-house on a large language model (recital 132)",
        {
            **NOTHING,
            "role": "provider_deployer",
            "transparency_features": ["interacts_with_persons"],
            "general_purpose": "built_on_gpai_model",
        },
        "limited",
        articles=("Art. 50(1)",),
        obligations=("interaction_disclosure", "ai_literacy"),
        absent=("gpai_technical_documentation",),
        fields={"gpai": True, "gpai_model_provider": False},
        dates={"interaction_disclosure": "2026-08-02"},
    ),
    Case(
        "spam filter (minimal risk)",
        {**NOTHING, "role": "provider_deployer"},
        "minimal",
        obligations=("ai_literacy",),
        fields={
            "transparency_duties": [],
            "articles": [
                "Art. 3(3)",
                "Art. 3(4)",
                "Art. 4",
                "Art. 5",
                "Art. 6(1)",
                "Art. 6(2)",
                "Art. 50",
                "Art. 95",
            ],
        },
    ),
    Case(
        "a bank's credit-scoring system (recital 58, Annex III 5(b), Art. 27)",
        {
            **NOTHING,
            "role": "deployer",
            "annex_iii_areas": ["essential_services"],
            "annex_iii_essential_services": ["creditworthiness"],
            "profiles_natural_persons": True,
            "deployer_sector": "private",
            "art_25_triggers": ["none"],
        },
        "high",
        "annex_iii",
        articles=("Annex III, point 5(b)", "Art. 27", "Art. 27(1)"),
        obligations=("fundamental_rights_impact_assessment", "deployer_duties"),
        dates={"fundamental_rights_impact_assessment": "2027-12-02"},
    ),
    Case(
        "an insurer pricing health insurance per person (Annex III 5(c), Art. 27)",
        {
            **NOTHING,
            "role": "provider_deployer",
            "annex_iii_areas": ["essential_services"],
            "annex_iii_essential_services": ["life_health_insurance"],
            "profiles_natural_persons": True,
            "deployer_sector": "private",
        },
        "high",
        "annex_iii",
        obligations=("fundamental_rights_impact_assessment", "risk_management"),
    ),
    Case(
        "emotion recognition of call-centre employees (recital 44, Art. 5(1)(f))",
        {
            **NOTHING,
            "role": "deployer",
            "prohibited_practices": ["workplace_education_emotion_recognition"],
        },
        "prohibited",
        articles=("Art. 5(1)(f)",),
        obligations=("stop_prohibited_practice",),
        fields={"needs_compliance_review": True},
    ),
    Case(
        "a public authority's citizen trustworthiness score (recital 31, Art. 5(1)(c))",
        {"role": "provider_deployer", "prohibited_practices": ["social_scoring"]},
        "prohibited",
        articles=("Art. 5(1)(c)",),
        fields={"needs_compliance_review": True, "role": "provider"},
    ),
    Case(
        "live facial recognition by police in a station concourse (Art. 5(1)(h))",
        {"role": "deployer", "prohibited_practices": ["realtime_remote_biometric_identification"]},
        "prohibited",
        articles=("Art. 5(1)(h)",),
    ),
    Case(
        "online exam proctoring at a university (Annex III 3(d), public service, Art. 27)",
        {
            **NOTHING,
            "role": "deployer",
            "annex_iii_areas": ["education"],
            "annex_iii_education": ["exam_proctoring"],
            "profiles_natural_persons": False,
            "art_6_3_condition": "none",
            "deployer_sector": "public_service",
            "art_25_triggers": ["none"],
        },
        "high",
        "annex_iii",
        obligations=("fundamental_rights_impact_assessment", "deployer_duties"),
        absent=("public_authority_registration",),
    ),
    Case(
        "checking ex post whether a teacher deviated from a grading pattern (recital 53, 6(3)(c))",
        {
            **NOTHING,
            "role": "provider",
            "annex_iii_areas": ["education"],
            "annex_iii_education": ["learning_outcomes"],
            "profiles_natural_persons": False,
            "art_6_3_condition": "detects_decision_patterns",
        },
        "minimal",
        articles=("Art. 6(3)(c)", "Art. 6(4)", "Art. 49(2)"),
        obligations=("document_exception_assessment", "register_exception"),
        absent=("risk_management",),
        fields={"exception_applied": "detects_decision_patterns"},
    ),
    Case(
        "translating documents for asylum case workers (recital 53, 6(3)(d))",
        {
            **NOTHING,
            "role": "provider",
            "annex_iii_areas": ["migration"],
            "annex_iii_migration": ["asylum_visa_applications"],
            "profiles_natural_persons": False,
            "art_6_3_condition": "preparatory_task",
        },
        "minimal",
        articles=("Art. 6(3)(d)",),
        fields={"exception_applied": "preparatory_task"},
    ),
    Case(
        "detecting duplicate applications in a hiring pipeline (recital 53, 6(3)(a))",
        {
            **NOTHING,
            "role": "provider_deployer",
            "annex_iii_areas": ["employment"],
            "annex_iii_employment": ["recruitment_selection"],
            "profiles_natural_persons": False,
            "art_6_3_condition": "narrow_procedural_task",
            "deployer_sector": "private",
        },
        "minimal",
        articles=("Art. 6(3)(a)",),
        absent=("deployer_duties",),
    ),
    Case(
        "candidate scoring claimed as 'preparatory' although it profiles: still high-risk",
        {
            **NOTHING,
            "role": "provider_deployer",
            "annex_iii_areas": ["employment"],
            "annex_iii_employment": ["recruitment_selection"],
            "profiles_natural_persons": True,
            "deployer_sector": "private",
        },
        "high",
        "annex_iii",
        articles=("Art. 6(3), third subparagraph",),
        fields={"profiling_override": True, "exception_applied": "none"},
    ),
    Case(
        "HR repurposes a general-purpose chat assistant to shortlist applicants (Art. 25(1)(c))",
        {
            **NOTHING,
            "role": "deployer",
            "annex_iii_areas": ["employment"],
            "annex_iii_employment": ["recruitment_selection"],
            "profiles_natural_persons": True,
            "general_purpose": "built_on_gpai_model",
            "transparency_features": ["interacts_with_persons"],
            "deployer_sector": "private",
            "art_25_triggers": ["changed_intended_purpose"],
        },
        "high",
        "annex_iii",
        articles=("Art. 25(1)(c)",),
        obligations=("risk_management", "quality_management", "deployer_duties"),
        fields={"role": "provider", "roles": ["deployer", "provider"]},
    ),
    Case(
        "marketing generator of photorealistic images of real people (Art. 50(2) and (4))",
        {
            **NOTHING,
            "role": "provider_deployer",
            "transparency_features": ["generates_synthetic_content", "deep_fake"],
            "synthetic_content_assistive_only": False,
            "general_purpose": "built_on_gpai_model",
        },
        "limited",
        obligations=("synthetic_content_marking", "deep_fake_disclosure"),
    ),
    Case(
        "press release on a public-health matter drafted by an LLM, approved by the editor",
        {
            **NOTHING,
            "role": "deployer",
            "transparency_features": ["generates_synthetic_content", "public_interest_text"],
            "synthetic_content_assistive_only": False,
            "public_interest_text_editorial_review": True,
            "general_purpose": "built_on_gpai_model",
            "art_25_triggers": ["none"],
        },
        "limited",
        absent=("public_interest_text_disclosure", "synthetic_content_marking"),
        duties=("synthetic_content_marking",),
    ),
    Case(
        "a frontier model trained with more than 10^25 FLOPs (Art. 51, 55)",
        {
            **NOTHING,
            "role": "provider",
            "general_purpose": "provides_gpai_model",
            "gpai_systemic_risk": True,
        },
        "minimal",
        obligations=("gpai_systemic_risk_duties", "gpai_training_content_summary"),
        fields={"gpai": True, "gpai_model_provider": True, "gpai_systemic_risk": True},
        dates={"gpai_systemic_risk_duties": "2025-08-02"},
    ),
    Case(
        "a 'nudify' image app, before the 2026 prohibition applies (Art. 5(1)(ba))",
        {"role": "provider", "prohibited_practices": ["non_consensual_intimate_content"]},
        "prohibited",
        articles=("Art. 5(1)(ba)",),
        dates={"stop_prohibited_practice": "2026-12-02"},
    ),
]


@pytest.fixture(scope="module")
def classifier() -> AiActClassifier:
    return AiActClassifier.load_default()


@pytest.mark.parametrize("case", EXAMPLES, ids=[case.name for case in EXAMPLES])
def test_example_from_the_act(classifier: AiActClassifier, case: Case) -> None:
    result = classifier.classify(case.answers, on=ON)
    check(case, result)
    invariants(result)


def test_nudify_app_prohibition_is_not_yet_in_force_on_21_november_2026(
    classifier: AiActClassifier,
) -> None:
    result = classifier.classify(EXAMPLES[-1].answers, on=ON)
    stop = next(o for o in result.obligations if o.id == "stop_prohibited_practice")
    assert (stop.in_force, stop.amended) == (False, True)
    later = classifier.classify(EXAMPLES[-1].answers, on=dt.date(2026, 12, 2))
    assert next(o for o in later.obligations if o.id == "stop_prohibited_practice").in_force
