"""The EU AI Act rule tree, path by path: one case per branch of the shipped rule sets.

Shared by the library tests (tests/test_aiact.py), which also measure that every rule,
obligation and answer option of the YAML is reached by some case, and by the API test, which
checks that the HTTP answer is the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gouvernail.aiact import Classification
from gouvernail.aiact.engine import natural_key

ON = dt.date(2026, 11, 21)
V2024 = "eu-ai-act-2024.1"

# A minimal system: no practice, no product, no Annex III area, no transparency feature.
BASE: dict[str, Any] = {
    "role": "provider_deployer",
    "prohibited_practices": ["none"],
    "annex_i_product": "none",
    "annex_iii_areas": ["none"],
    "transparency_features": ["none"],
    "general_purpose": "none",
}

ALL_PRACTICES_2024 = [
    "subliminal_manipulation",
    "exploiting_vulnerabilities",
    "social_scoring",
    "predictive_policing_profiling",
    "facial_image_scraping",
    "workplace_education_emotion_recognition",
    "sensitive_biometric_categorisation",
    "realtime_remote_biometric_identification",
]

HIGH_RISK_PROVIDER = (
    "risk_management",
    "data_governance",
    "technical_documentation",
    "record_keeping",
    "instructions_for_use",
    "human_oversight",
    "accuracy_robustness_cybersecurity",
    "provider_duties",
    "quality_management",
    "conformity_assessment",
    "post_market_monitoring",
    "serious_incident_reporting",
)


def answers(**changes: Any) -> dict[str, Any]:
    """BASE with changes; a change to None removes the answer."""
    merged = {**BASE, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def annex_iii(area: str, question: str, uses: list[str], **changes: Any) -> dict[str, Any]:
    """An Annex III system with no profiling and no Art. 6(3) condition."""
    defaults: dict[str, Any] = {"profiles_natural_persons": False, "art_6_3_condition": "none"}
    return answers(**{"annex_iii_areas": [area], question: uses, **defaults, **changes})


@dataclass(frozen=True)
class Case:
    name: str
    answers: dict[str, Any]
    tier: str
    route: str = "none"
    rules: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    duties: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    on: dt.date = ON
    ruleset: str | None = None


def check(case: Case, result: Classification) -> None:
    assert (result.tier, result.high_risk_route) == (case.tier, case.route)
    fired = [reason.rule for reason in result.reasons]
    assert set(case.rules) <= set(fired), fired
    assert set(case.articles) <= set(result.articles), result.articles
    mine = {o.id: o for o in result.obligations}
    duties = {d.id: d for d in result.transparency_duties}
    assert set(case.obligations) <= set(mine), sorted(mine)
    assert not set(case.absent) & set(mine), sorted(mine)
    if case.duties:
        assert sorted(duties) == sorted(case.duties)
    for name, value in case.fields.items():
        assert getattr(result, name) == value, name
    for obligation, day in case.dates.items():
        assert str({**duties, **mine}[obligation].applies_from) == day, obligation


def invariants(result: Classification) -> None:
    """What holds for every classification, whatever the answers."""
    assert result.articles == sorted(set(result.articles), key=natural_key)
    cited = {article for reason in result.reasons for article in reason.articles}
    assert cited <= set(result.articles)
    assert {o.article for o in result.obligations} <= set(result.articles)
    assert result.needs_compliance_review == (result.tier == "prohibited")
    assert (result.tier == "high") == (result.high_risk_route != "none")
    if result.tier == "limited":
        assert result.transparency_duties
    for obligation in [*result.obligations, *result.transparency_duties]:
        assert obligation.source
        assert obligation.in_force == (obligation.applies_from <= result.classified_on)
    if result.role is not None:
        assert result.role_reason is not None
        assert result.role in result.roles
    ids = [r.rule for r in result.reasons]
    assert len(ids) == len(set(ids))


def prohibited(practice: str, article: str, *, ruleset: str | None = None) -> Case:
    return Case(
        f"prohibited {practice}",
        answers(prohibited_practices=[practice]),
        "prohibited",
        rules=(f"art5.{practice}", "tier.prohibited"),
        articles=(article, "Art. 5"),
        obligations=("stop_prohibited_practice", "ai_literacy"),
        fields={
            "needs_compliance_review": True,
            "prohibited_practices": [practice],
            "ignored_answers": [
                "annex_i_product",
                "annex_iii_areas",
                "transparency_features",
                "general_purpose",
            ],
            "transparency_duties": [],
        },
        ruleset=ruleset,
    )


CASES: list[Case] = [
    # --- Art. 5, each practice ---------------------------------------------------------------
    prohibited("subliminal_manipulation", "Art. 5(1)(a)"),
    prohibited("exploiting_vulnerabilities", "Art. 5(1)(b)"),
    prohibited("social_scoring", "Art. 5(1)(c)"),
    prohibited("predictive_policing_profiling", "Art. 5(1)(d)"),
    prohibited("facial_image_scraping", "Art. 5(1)(e)"),
    prohibited("workplace_education_emotion_recognition", "Art. 5(1)(f)"),
    prohibited("sensitive_biometric_categorisation", "Art. 5(1)(g)"),
    prohibited("realtime_remote_biometric_identification", "Art. 5(1)(h)"),
    prohibited("social_scoring", "Art. 5(1)(c)", ruleset=V2024),
    Case(
        "prohibited from 2 December 2026: non-consensual intimate content",
        answers(prohibited_practices=["non_consensual_intimate_content"]),
        "prohibited",
        rules=("art5.non_consensual_intimate_content", "tier.prohibited"),
        articles=("Art. 5(1)(ba)",),
        obligations=("stop_prohibited_practice",),
        fields={"needs_compliance_review": True},
        dates={"stop_prohibited_practice": "2026-12-02"},
    ),
    Case(
        "prohibited from 2 December 2026: child sexual abuse material",
        answers(prohibited_practices=["child_sexual_abuse_material"]),
        "prohibited",
        rules=("art5.child_sexual_abuse_material",),
        articles=("Art. 5(1)(bb)",),
        dates={"stop_prohibited_practice": "2026-12-02"},
    ),
    Case(
        "an original and a 2026 prohibition: the earlier date applies",
        answers(prohibited_practices=["social_scoring", "non_consensual_intimate_content"]),
        "prohibited",
        fields={"prohibited_practices": ["social_scoring", "non_consensual_intimate_content"]},
        dates={"stop_prohibited_practice": "2025-02-02"},
    ),
    # --- Minimal ---------------------------------------------------------------------------------
    Case(
        "nothing declared: minimal, AI literacy only",
        answers(),
        "minimal",
        rules=("art5.none", "annex_i.not_covered", "annex_iii.none", "art50.none", "tier.minimal"),
        articles=("Art. 4", "Art. 95"),
        obligations=("ai_literacy",),
        absent=("risk_management", "stop_prohibited_practice"),
        fields={"needs_compliance_review": False, "high_risk_route": "none", "gpai": False},
    ),
    # --- Annex I ---------------------------------------------------------------------------------
    Case(
        "medical-device software needing a notified body: Annex I, Section A",
        answers(annex_i_product="medical_devices", third_party_conformity=True),
        "high",
        "annex_i",
        rules=("annex_i.section_a", "tier.high_annex_i"),
        articles=("Art. 6(1)", "Annex I, Section A, point 11"),
        obligations=(*HIGH_RISK_PROVIDER, "deployer_duties"),
        absent=("eu_database_registration", "inform_affected_persons", "sectoral_requirements"),
        fields={"annex_i_section": "A"},
        dates={"risk_management": "2028-08-02", "deployer_duties": "2028-08-02"},
    ),
    Case(
        "Annex I product without third-party assessment: not high-risk",
        answers(annex_i_product="in_vitro_diagnostic_devices", third_party_conformity=False),
        "minimal",
        rules=("annex_i.no_third_party_assessment",),
        articles=("Art. 6(1)(b)", "Annex I, Section A, point 12"),
        absent=("risk_management",),
        fields={"annex_i_section": None},
    ),
    Case(
        "Annex I, Section B (motor vehicles): high-risk through the sectoral legislation",
        answers(annex_i_product="motor_vehicles", third_party_conformity=True),
        "high",
        "annex_i",
        rules=("annex_i.section_b",),
        articles=("Art. 2(2)", "Annex I, Section B, point 18"),
        obligations=("sectoral_requirements",),
        absent=("risk_management", "deployer_duties"),
        fields={"annex_i_section": "B"},
        dates={"sectoral_requirements": "2028-08-02"},
    ),
    Case(
        "machinery under the 2024 rules: Annex I, Section A",
        answers(annex_i_product="machinery", third_party_conformity=True),
        "high",
        "annex_i",
        rules=("annex_i.section_a",),
        articles=("Annex I, Section A, point 1",),
        obligations=("risk_management",),
        fields={"annex_i_section": "A"},
        dates={"risk_management": "2027-08-02"},
        ruleset=V2024,
    ),
    Case(
        "machinery under the 2026 rules: moved to Annex I, Section B",
        answers(annex_i_product="machinery", third_party_conformity=True),
        "high",
        "annex_i",
        rules=("annex_i.section_b",),
        articles=("Annex I, Section B, point 21",),
        obligations=("sectoral_requirements",),
        absent=("risk_management",),
        fields={"annex_i_section": "B"},
    ),
    Case(
        "Annex I product that is also an Annex III use: the Annex III date applies",
        answers(
            annex_i_product="medical_devices",
            third_party_conformity=True,
            annex_iii_areas=["essential_services"],
            annex_iii_essential_services=["emergency_triage"],
            profiles_natural_persons=False,
            art_6_3_condition="none",
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        rules=("annex_i.section_a", "annex_iii.essential_services", "tier.high_annex_iii"),
        obligations=("risk_management", "eu_database_registration"),
        fields={"annex_i_section": "A", "annex_iii_uses": ["emergency_triage"]},
        dates={"risk_management": "2027-12-02"},
    ),
    # --- Annex III, each area --------------------------------------------------------------------
    Case(
        "Annex III 1: biometrics (identification, categorisation, emotion recognition)",
        annex_iii(
            "biometrics",
            "annex_iii_biometrics",
            ["remote_biometric_identification", "biometric_categorisation", "emotion_recognition"],
            role="provider",
        ),
        "high",
        "annex_iii",
        rules=(
            "annex_iii.biometrics",
            "art6_2.high_risk",
            "art50.emotion_recognition",
            "art50.biometric_categorisation",
        ),
        articles=("Annex III, point 1(a)", "Annex III, point 1(b)", "Annex III, point 1(c)"),
        obligations=(*HIGH_RISK_PROVIDER, "eu_database_registration"),
        absent=("emotion_biometric_information",),
        duties=("emotion_biometric_information",),
        fields={"annex_iii_area": "biometrics", "roles": ["provider"]},
        dates={"risk_management": "2027-12-02", "eu_database_registration": "2027-12-02"},
    ),
    Case(
        "Annex III 2: critical infrastructure, registered nationally, no FRIA",
        annex_iii(
            "critical_infrastructure",
            "annex_iii_critical_infrastructure",
            [
                "critical_digital_infrastructure",
                "road_traffic",
                "water_supply",
                "gas_supply",
                "heating_supply",
                "electricity_supply",
            ],
            role="deployer",
            deployer_sector="public_authority",
            art_25_triggers=["none"],
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.critical_infrastructure",),
        articles=("Annex III, point 2",),
        obligations=("deployer_duties", "inform_affected_persons"),
        absent=(
            "fundamental_rights_impact_assessment",
            "public_authority_registration",
            "eu_database_registration",
            "risk_management",
        ),
        fields={"role": "deployer", "roles": ["deployer"]},
    ),
    Case(
        "Annex III 3: education",
        annex_iii(
            "education",
            "annex_iii_education",
            ["education_admission", "learning_outcomes", "education_level", "exam_proctoring"],
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.education",),
        articles=("Annex III, point 3(a)", "Annex III, point 3(d)"),
        obligations=(*HIGH_RISK_PROVIDER, "deployer_duties"),
        fields={"annex_iii_area": "education"},
    ),
    Case(
        "Annex III 4: employment",
        annex_iii(
            "employment",
            "annex_iii_employment",
            ["recruitment_selection", "work_relationship_decisions"],
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.employment",),
        articles=("Annex III, point 4(a)", "Annex III, point 4(b)"),
        obligations=("risk_management", "deployer_duties", "inform_affected_persons"),
        absent=("fundamental_rights_impact_assessment",),
    ),
    Case(
        "Annex III 5: essential services, private credit deployer owes a FRIA",
        annex_iii(
            "essential_services",
            "annex_iii_essential_services",
            ["public_benefits", "creditworthiness", "life_health_insurance", "emergency_triage"],
            role="deployer",
            deployer_sector="private",
            art_25_triggers=["none"],
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.essential_services", "art27.credit_insurance"),
        articles=("Annex III, point 5(b)", "Annex III, point 5(c)", "Art. 27"),
        obligations=("deployer_duties", "fundamental_rights_impact_assessment"),
        absent=("public_authority_registration", "risk_management"),
        dates={"fundamental_rights_impact_assessment": "2027-12-02"},
    ),
    Case(
        "Annex III 6: law enforcement",
        annex_iii(
            "law_enforcement",
            "annex_iii_law_enforcement",
            [
                "victim_risk",
                "law_enforcement_polygraph",
                "evidence_reliability",
                "offending_risk",
                "criminal_profiling",
            ],
            role="provider",
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.law_enforcement",),
        articles=("Annex III, point 6(a)", "Annex III, point 6(e)"),
        obligations=("risk_management", "eu_database_registration"),
        absent=("deployer_duties",),
    ),
    Case(
        "Annex III 7: migration",
        annex_iii(
            "migration",
            "annex_iii_migration",
            [
                "migration_polygraph",
                "entry_risk_assessment",
                "asylum_visa_applications",
                "person_identification",
            ],
            role="provider",
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.migration",),
        articles=("Annex III, point 7(a)", "Annex III, point 7(d)"),
    ),
    Case(
        "Annex III 8: justice and democratic processes",
        annex_iii(
            "justice_democracy",
            "annex_iii_justice_democracy",
            ["judicial_assistance", "election_influence"],
            role="provider",
        ),
        "high",
        "annex_iii",
        rules=("annex_iii.justice_democracy",),
        articles=("Annex III, point 8(a)", "Annex III, point 8(b)"),
    ),
    Case(
        "two Annex III areas: both listed, the first is the area",
        answers(
            annex_iii_areas=["employment", "biometrics"],
            annex_iii_employment=["work_relationship_decisions"],
            annex_iii_biometrics=["emotion_recognition"],
            profiles_natural_persons=False,
            art_6_3_condition="none",
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        fields={
            "annex_iii_area": "biometrics",
            "annex_iii_areas": ["biometrics", "employment"],
            "annex_iii_uses": ["emotion_recognition", "work_relationship_decisions"],
        },
        duties=("emotion_biometric_information",),
        obligations=("emotion_biometric_information",),
    ),
    # --- Art. 6(3): each condition, and the profiling rule -------------------------------------
    *(
        Case(
            f"Art. 6(3)({point}): {condition}, not high-risk",
            annex_iii(
                "employment",
                "annex_iii_employment",
                ["recruitment_selection"],
                art_6_3_condition=condition,
                deployer_sector="private",
            ),
            "minimal",
            rules=("art6_3.exception", "tier.minimal"),
            articles=(f"Art. 6(3)({point})", "Art. 6(4)", "Art. 49(2)"),
            obligations=("document_exception_assessment", "register_exception"),
            absent=("risk_management", "deployer_duties"),
            fields={"exception_applied": condition, "profiling_override": False},
            dates={"register_exception": "2027-12-02"},
        )
        for point, condition in (
            ("a", "narrow_procedural_task"),
            ("b", "improves_human_activity"),
            ("c", "detects_decision_patterns"),
            ("d", "preparatory_task"),
        )
    ),
    Case(
        "Art. 6(3) condition as a deployer: the documentation is the provider's",
        annex_iii(
            "education",
            "annex_iii_education",
            ["learning_outcomes"],
            art_6_3_condition="detects_decision_patterns",
            role="deployer",
            deployer_sector="public_service",
            art_25_triggers=["none"],
        ),
        "minimal",
        rules=("art6_3.exception",),
        absent=(
            "document_exception_assessment",
            "register_exception",
            "fundamental_rights_impact_assessment",
        ),
    ),
    Case(
        "profiling in an Annex III area: always high-risk",
        answers(
            annex_iii_areas=["employment"],
            annex_iii_employment=["recruitment_selection"],
            profiles_natural_persons=True,
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        rules=("art6_3.profiling", "tier.high_annex_iii"),
        articles=("Art. 6(3), third subparagraph",),
        obligations=("risk_management", "deployer_duties"),
        absent=("document_exception_assessment",),
        fields={"profiling_override": True, "exception_applied": "none"},
    ),
    Case(
        "Art. 6(3) condition with a transparency duty: limited",
        annex_iii(
            "education",
            "annex_iii_education",
            ["exam_proctoring"],
            art_6_3_condition="preparatory_task",
            transparency_features=["interacts_with_persons"],
            deployer_sector="private",
        ),
        "limited",
        rules=("art6_3.exception", "tier.limited"),
        obligations=("interaction_disclosure", "document_exception_assessment"),
    ),
    # --- Art. 50, each duty alone and on top of high risk ----------------------------------------
    Case(
        "Art. 50(1) chatbot: limited",
        answers(transparency_features=["interacts_with_persons"]),
        "limited",
        rules=("art50.interaction", "tier.limited"),
        articles=("Art. 50(1)",),
        obligations=("interaction_disclosure", "ai_literacy"),
        duties=("interaction_disclosure",),
        dates={"interaction_disclosure": "2026-08-02"},
    ),
    Case(
        "Art. 50(2) synthetic content: limited",
        answers(
            transparency_features=["generates_synthetic_content"],
            synthetic_content_assistive_only=False,
        ),
        "limited",
        rules=("art50.synthetic_content",),
        articles=("Art. 50(2)",),
        obligations=("synthetic_content_marking",),
    ),
    Case(
        "Art. 50(2) assistive editing only: no duty, minimal",
        answers(
            transparency_features=["generates_synthetic_content"],
            synthetic_content_assistive_only=True,
        ),
        "minimal",
        rules=("art50.assistive_editing_exception", "art50.none", "tier.minimal"),
        absent=("synthetic_content_marking",),
        fields={"transparency_duties": []},
    ),
    Case(
        "Art. 50(3) biometric categorisation (not sensitive): limited",
        answers(
            transparency_features=["biometric_categorisation"],
            role="deployer",
            art_25_triggers=["none"],
        ),
        "limited",
        rules=("art50.biometric_categorisation",),
        articles=("Art. 50(3)",),
        obligations=("emotion_biometric_information",),
    ),
    Case(
        "Art. 50(3) emotion recognition declared with Annex III 1(c) and an Art. 6(3) condition",
        annex_iii(
            "biometrics",
            "annex_iii_biometrics",
            ["emotion_recognition"],
            art_6_3_condition="preparatory_task",
            transparency_features=["emotion_recognition"],
            deployer_sector="private",
        ),
        "limited",
        rules=("art50.emotion_recognition", "art6_3.exception"),
        obligations=("emotion_biometric_information",),
    ),
    Case(
        "Art. 50(4) deep fakes: limited",
        answers(transparency_features=["deep_fake"]),
        "limited",
        rules=("art50.deep_fake",),
        obligations=("deep_fake_disclosure",),
    ),
    Case(
        "Art. 50(4) text on matters of public interest without editorial review: limited",
        answers(
            transparency_features=["public_interest_text"],
            public_interest_text_editorial_review=False,
        ),
        "limited",
        rules=("art50.public_interest_text",),
        obligations=("public_interest_text_disclosure",),
    ),
    Case(
        "Art. 50(4) text under editorial responsibility: no duty",
        answers(
            transparency_features=["public_interest_text"],
            public_interest_text_editorial_review=True,
        ),
        "minimal",
        rules=("art50.editorial_review_exception",),
        absent=("public_interest_text_disclosure",),
    ),
    Case(
        "every Art. 50 duty on top of high risk",
        annex_iii(
            "employment",
            "annex_iii_employment",
            ["recruitment_selection"],
            transparency_features=[
                "interacts_with_persons",
                "generates_synthetic_content",
                "biometric_categorisation",
                "deep_fake",
                "public_interest_text",
            ],
            synthetic_content_assistive_only=False,
            public_interest_text_editorial_review=False,
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        obligations=(
            "risk_management",
            "interaction_disclosure",
            "synthetic_content_marking",
            "emotion_biometric_information",
            "deep_fake_disclosure",
            "public_interest_text_disclosure",
        ),
        duties=(
            "interaction_disclosure",
            "synthetic_content_marking",
            "emotion_biometric_information",
            "deep_fake_disclosure",
            "public_interest_text_disclosure",
        ),
    ),
    Case(
        "a provider's chatbot: the deployer's Art. 50(4) duty is listed but not theirs",
        answers(role="provider", transparency_features=["interacts_with_persons", "deep_fake"]),
        "limited",
        obligations=("interaction_disclosure",),
        absent=("deep_fake_disclosure",),
        duties=("interaction_disclosure", "deep_fake_disclosure"),
    ),
    # --- General-purpose AI ----------------------------------------------------------------------
    Case(
        "built on a general-purpose AI model",
        answers(general_purpose="built_on_gpai_model"),
        "minimal",
        rules=("gpai.built_on_model",),
        articles=("Art. 3(66)",),
        absent=("gpai_technical_documentation",),
        fields={"gpai": True, "gpai_model_provider": False, "gpai_systemic_risk": False},
    ),
    Case(
        "provider of a general-purpose AI model without systemic risk",
        answers(general_purpose="provides_gpai_model", gpai_systemic_risk=False),
        "minimal",
        rules=("gpai.model_provider",),
        obligations=(
            "gpai_technical_documentation",
            "gpai_copyright_policy",
            "gpai_training_content_summary",
        ),
        absent=("gpai_systemic_risk_duties", "gpai_systemic_risk_notification"),
        fields={"gpai": True, "gpai_model_provider": True, "gpai_systemic_risk": False},
        dates={"gpai_copyright_policy": "2025-08-02"},
    ),
    Case(
        "provider of a general-purpose AI model with systemic risk",
        answers(general_purpose="provides_gpai_model", gpai_systemic_risk=True),
        "minimal",
        rules=("gpai.model_provider", "gpai.systemic_risk"),
        articles=("Art. 51", "Art. 52(1)", "Art. 55"),
        obligations=("gpai_systemic_risk_duties", "gpai_systemic_risk_notification"),
        fields={"gpai_systemic_risk": True},
    ),
    # --- Roles and Art. 25 ----------------------------------------------------------------------
    Case(
        "role: provider",
        answers(role="provider"),
        "minimal",
        rules=("role.provider",),
        fields={"role": "provider", "roles": ["provider"]},
    ),
    Case(
        "role: deployer",
        answers(role="deployer", art_25_triggers=["none"]),
        "minimal",
        rules=("role.deployer",),
        fields={"role": "deployer", "roles": ["deployer"]},
    ),
    Case(
        "role: provider and deployer of a high-risk system",
        annex_iii(
            "employment",
            "annex_iii_employment",
            ["recruitment_selection"],
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        rules=("role.provider_deployer",),
        obligations=(*HIGH_RISK_PROVIDER, "deployer_duties"),
        fields={"role": "provider", "roles": ["provider", "deployer"]},
    ),
    Case(
        "role: importer of a high-risk system",
        annex_iii(
            "education",
            "annex_iii_education",
            ["learning_outcomes"],
            role="importer",
            art_25_triggers=["none"],
        ),
        "high",
        "annex_iii",
        rules=("role.importer",),
        articles=("Art. 23",),
        obligations=("importer_duties",),
        absent=("risk_management", "deployer_duties", "ai_literacy"),
        fields={"role": "importer"},
    ),
    Case(
        "role: distributor of a high-risk system",
        annex_iii(
            "education",
            "annex_iii_education",
            ["learning_outcomes"],
            role="distributor",
            art_25_triggers=["none"],
        ),
        "high",
        "annex_iii",
        rules=("role.distributor",),
        obligations=("distributor_duties",),
        absent=("importer_duties", "risk_management"),
        fields={"role": "distributor"},
    ),
    Case(
        "Art. 25(1)(a): a deployer puts its name on a high-risk system",
        annex_iii(
            "employment",
            "annex_iii_employment",
            ["recruitment_selection"],
            role="deployer",
            deployer_sector="private",
            art_25_triggers=["name_or_trademark"],
        ),
        "high",
        "annex_iii",
        rules=("role.deployer", "art25.name_or_trademark"),
        articles=("Art. 25(1)(a)",),
        obligations=(*HIGH_RISK_PROVIDER, "deployer_duties"),
        fields={"role": "provider", "roles": ["deployer", "provider"]},
    ),
    Case(
        "Art. 25(1)(b): a distributor substantially modifies a high-risk system",
        annex_iii(
            "education",
            "annex_iii_education",
            ["exam_proctoring"],
            role="distributor",
            art_25_triggers=["substantial_modification"],
        ),
        "high",
        "annex_iii",
        rules=("art25.substantial_modification",),
        articles=("Art. 25(1)(b)", "Art. 3(23)"),
        obligations=("risk_management", "distributor_duties"),
        fields={"role": "provider", "roles": ["distributor", "provider"]},
    ),
    Case(
        "Art. 25(1)(c): a deployer repurposes a general-purpose AI system for recruitment",
        annex_iii(
            "employment",
            "annex_iii_employment",
            ["recruitment_selection"],
            role="deployer",
            general_purpose="built_on_gpai_model",
            deployer_sector="private",
            art_25_triggers=["changed_intended_purpose"],
        ),
        "high",
        "annex_iii",
        rules=("art25.repurposed_general_purpose",),
        articles=("Art. 25(1)(c)",),
        obligations=("risk_management", "deployer_duties"),
        fields={"role": "provider", "gpai": True},
    ),
    Case(
        "Art. 25(1)(c): an importer changes the intended purpose of a narrow system",
        annex_iii(
            "essential_services",
            "annex_iii_essential_services",
            ["creditworthiness"],
            role="importer",
            art_25_triggers=["changed_intended_purpose"],
        ),
        "high",
        "annex_iii",
        rules=("art25.changed_intended_purpose",),
        obligations=("risk_management", "importer_duties"),
        absent=("fundamental_rights_impact_assessment",),
        fields={"role": "provider", "roles": ["importer", "provider"]},
    ),
    Case(
        "Art. 25(1) triggers on a system that is not high-risk: role unchanged",
        answers(
            role="deployer",
            transparency_features=["interacts_with_persons"],
            art_25_triggers=["name_or_trademark", "substantial_modification"],
        ),
        "limited",
        rules=("art25.not_high_risk",),
        absent=("interaction_disclosure",),
        fields={"role": "deployer", "roles": ["deployer"]},
    ),
    # --- Deployers in the public sector ----------------------------------------------------------
    Case(
        "a public authority deploys an Annex III system: FRIA and registration",
        annex_iii(
            "essential_services",
            "annex_iii_essential_services",
            ["public_benefits"],
            role="deployer",
            deployer_sector="public_authority",
            art_25_triggers=["none"],
        ),
        "high",
        "annex_iii",
        rules=("art27.public_body", "art26_8.public_authority"),
        articles=("Art. 26(8)", "Art. 27"),
        obligations=("fundamental_rights_impact_assessment", "public_authority_registration"),
    ),
    Case(
        "a private entity providing public services deploys an Annex III system: FRIA",
        annex_iii(
            "education",
            "annex_iii_education",
            ["education_admission"],
            role="deployer",
            deployer_sector="public_service",
            art_25_triggers=["none"],
        ),
        "high",
        "annex_iii",
        rules=("art27.public_body",),
        obligations=("fundamental_rights_impact_assessment",),
        absent=("public_authority_registration",),
    ),
    # --- Every Annex I product with a third-party assessment (2026 rules) ----------------------
    *(
        Case(
            f"Annex I product: {product}",
            answers(annex_i_product=product, third_party_conformity=True),
            "high",
            "annex_i",
            articles=(f"Annex I, Section {section}, point {point}",),
            fields={"annex_i_section": section},
        )
        for product, section, point in (
            ("toys", "A", 2),
            ("recreational_craft", "A", 3),
            ("lifts", "A", 4),
            ("atex_equipment", "A", 5),
            ("radio_equipment", "A", 6),
            ("pressure_equipment", "A", 7),
            ("cableway_installations", "A", 8),
            ("personal_protective_equipment", "A", 9),
            ("gas_appliances", "A", 10),
            ("civil_aviation_security", "B", 13),
            ("two_three_wheel_vehicles", "B", 14),
            ("agricultural_forestry_vehicles", "B", 15),
            ("marine_equipment", "B", 16),
            ("rail_interoperability", "B", 17),
            ("vehicle_general_safety", "B", 19),
            ("civil_aviation", "B", 20),
        )
    ),
    # --- The same answers under the 2024 rules: original dates -----------------------------------
    Case(
        "Annex III under the 2024 rules: obligations from 2 August 2026",
        annex_iii(
            "employment",
            "annex_iii_employment",
            ["recruitment_selection"],
            deployer_sector="private",
        ),
        "high",
        "annex_iii",
        dates={"risk_management": "2026-08-02", "ai_literacy": "2025-02-02"},
        ruleset=V2024,
    ),
]
