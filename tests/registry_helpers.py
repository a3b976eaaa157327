"""Builders shared by the registry tests: an organisation, an idea, answers that pass the gates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import PASSWORD

TODAY = date.today()

QUALIFICATION: dict[str, Any] = {
    "qualification": {
        "tied_to_priority_objective": True,
        "priority_objective": "Shorten time to hire",
        "benefit_measurable": True,
        "benefit_validated_by_stakeholders": True,
        "stakeholders": "HR leadership team",
        "expected_value": 4,
        "skills_available": 3,
    },
    "automation": {
        "rules_expressible": False,
        "learns_from_data": True,
        "needs_adaptation": False,
        "needs_autonomy": False,
        "unstructured_inputs": True,
    },
}

DEPLOYMENT: dict[str, Any] = {
    "fallback_procedure": "Recruiters screen every CV by hand with the paper grid, as in 2024.",
    "cybersecurity_measures": "Gateway only, no data outside the EU, quarterly penetration test.",
    "human_oversight": "A recruiter reviews every shortlist and decides; no automatic rejection.",
    "vendor_exit_plan": "Prompts and data are exported monthly; a second vendor is qualified.",
    "adoption_plan": {
        "communication": "Town hall and intranet article before the pilot.",
        "training": "Two-hour session for every recruiter.",
        "feedback_channel": "Teams channel watched by the AI referent.",
        "timeline": "Pilot in Q1, production in Q3.",
    },
}


def idea(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Screening of job applications for laboratory technicians",
        "description": "Rank incoming CVs for laboratory technician positions against the job "
        "profile so that recruiters read the most relevant ones first.",
        "business_problem": "Recruiters receive 400 CVs per opening and answer too late.",
        "current_process": "Recruiters read every CV in arrival order.",
        "target_process": "CVs are ranked; recruiters read the shortlist first, then the rest.",
        "objective": "Answer candidates faster",
        "key_results": [
            {
                "description": "Days from application to first answer",
                "unit": "days",
                "baseline": 21,
                "target": 7,
                "due_on": (TODAY + timedelta(days=180)).isoformat(),
            }
        ],
        "intended_users": "Recruiters",
        "affected_people": "Job applicants",
        "data_sources": [
            {
                "name": "Applicant tracking system",
                "location": "Workday",
                "owner": "olivia",
                "data_class": "confidential",
                "available": 4,
                "relevance": 4,
                "completeness": 3,
                "recency": 5,
            }
        ],
        "expected_benefit": "Two weeks saved per opening",
        "sourcing": "strategic",
        "preferred_hosting": "eu_cloud",
    }
    body.update(overrides)
    return body


def people(make_user: Callable[..., int]) -> dict[str, int]:
    """The cast: a requester, a data owner, referents, three committee members, an outsider."""
    return {
        "alice": make_user("alice"),
        "olivia": make_user("olivia", "data_owner"),
        "rita": make_user("rita", "ai_referent"),
        "sam": make_user("sam", "security_referent"),
        "cm1": make_user("cm1", "committee_member"),
        "cm2": make_user("cm2", "committee_member"),
        "cm3": make_user("cm3", "committee_member"),
        "eve": make_user("eve"),
    }


def submit(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/use-cases", json=idea(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def put(
    client: TestClient, headers: dict[str, str], uc: dict[str, Any], part: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = client.put(
        f"/api/v1/use-cases/{uc['id']}/{part}",
        json={**body, "version": uc["version"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def move(
    client: TestClient,
    headers: dict[str, str],
    uc: dict[str, Any],
    to: str,
    **extra: Any,
) -> Any:
    return client.post(
        f"/api/v1/use-cases/{uc['id']}/transitions",
        json={"to": to, "reason": f"to {to}", "version": uc["version"], **extra},
        headers=headers,
    )


def approve(
    client: TestClient,
    headers: dict[str, str],
    uc_id: int,
    stage: str,
    decision: str = "approve",
) -> Any:
    return client.post(
        f"/api/v1/use-cases/{uc_id}/approvals",
        json={"stage": stage, "decision": decision, "password": PASSWORD, "comment": "reviewed"},
        headers=headers,
    )
