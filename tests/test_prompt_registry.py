"""The prompt registry through the API, the gateway and the CLI, on SQLite and PostgreSQL: new
versions take ``draft``; ``production`` moves by an audited decision with a reason (owner or AI
referent; refusals audited), through a promotion gate (a real callable that refuses) that only an
AI referent may override; roll-back; the history of label moves; the gateway applying the
production prompt before inspection (replace, prepend, Responses instructions), seeing a label
move at once; the prompt version recorded on every call, declared by a caller or applied."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import invoke
from tests.gateway_helpers import World, sdk
from tests.insight_helpers import signed_in
from tests.inventory_helpers import records

from gouvernail.gateway.governance import UseCaseGatewayIn
from gouvernail.gateway.models import RequestLog
from gouvernail.registry.prompts import Prompts
from gouvernail.runtime import Runtime

NAME_AND_MAIL = "Signe chaque courrier : Jeanne Martin (jeanne.martin@example.com), lot 42."


def prompts_url(world: World, use_case: str = "drafting") -> str:
    return f"/api/v1/use-cases/{world.use_cases[use_case]}/prompts"


def save(gw: TestClient, world: World, who: str, text: str, **fields: Any) -> Any:
    return gw.post(prompts_url(world), json={"text": text, **fields}, headers=signed_in(gw, who))


def move(
    gw: TestClient,
    world: World,
    who: str,
    label: str,
    version: int,
    reason: str = "",
    name: str = "system",
    **fields: Any,
) -> Any:
    return gw.put(
        f"{prompts_url(world)}/{name}/labels/{label}",
        json={"version": version, "reason": reason, **fields},
        headers=signed_in(gw, who),
    )


def chat(gw: TestClient, key: str, messages: list[dict[str, str]], **headers: str) -> Any:
    return gw.post(
        "/v1/chat/completions",
        json={"model": "gpt-eu", "messages": messages},
        headers={"Authorization": f"Bearer {key}", **headers},
    )


def last_log(rt: Runtime) -> RequestLog:
    with rt.database.read() as session:
        row = session.scalars(select(RequestLog).order_by(RequestLog.id.desc())).first()
        assert row is not None
        return row


def sent_messages(world: World) -> list[dict[str, Any]]:
    body: dict[str, Any] = orjson.loads(world.openai.requests[-1].raw)
    return list(body["messages"])


def serve_prompt(world: World, mode: str = "replace", **more: Any) -> None:
    world.rt.governance.configure(
        world.ctx,
        world.use_cases["drafting"],
        UseCaseGatewayIn.model_validate(
            {
                "reason": "apply the registry prompt",
                "system_prompt": "system",
                "system_prompt_mode": mode,
                **more,
            }
        ),
    )


def refusing_gate(refused: set[int]) -> Any:
    """A promotion gate like the evaluation suites' regression check: refuses some versions."""

    def gate(use_case_id: int, prompt_version_id: int) -> str | None:
        if prompt_version_id in refused:
            return f"regression suite failed for version id {prompt_version_id} (3 of 20 cases)"
        return None

    return gate


def test_versions_start_as_draft_and_production_needs_owner_and_reason(
    gw: TestClient, world: World, make_user: Any
) -> None:
    first = save(gw, world, "bob", "Tu rédiges des courriers réglementaires.", note="first")
    assert first.status_code == 201, first.text
    assert (first.json()["version"], first.json()["labels"]) == (1, ["draft"])
    second = save(gw, world, "alice", "Tu rédiges des courriers clairs et sourcés.")
    assert second.json()["labels"] == ["draft"]
    make_user("outsider")
    assert save(gw, world, "outsider", "Autre chose").status_code == 403  # not a member
    listed = gw.get(prompts_url(world), headers=signed_in(gw, "outsider")).json()
    assert [(v["version"], v["labels"]) for v in listed] == [(2, ["draft"]), (1, [])]

    # production: a reason, the owner (alice) or an AI referent; not a mere member
    assert move(gw, world, "alice", "production", 1).status_code == 400
    refused = move(gw, world, "bob", "production", 1, "good enough")
    assert refused.status_code == 403
    assert "promote_any" in refused.json()["error"]["message"]
    assert records(world.rt, "auth.access_denied")[-1]["new"]["action"] == "promote_any"
    assert move(gw, world, "outsider", "draft", 1, "back").status_code == 403
    promoted = move(gw, world, "alice", "production", 1, "validated by the pharmacists")
    assert promoted.status_code == 200, promoted.text
    body = promoted.json()
    # the evaluation gate ran: a use case without a suite is not held back
    assert (body["version"], body["previous_version"], body["gate"]) == (1, None, "passed")
    assert move(gw, world, "alice", "production", 1, "again").status_code == 409
    assert move(gw, world, "alice", "production", 9, "no such").status_code == 404
    assert move(gw, world, "alice", "published", 1, "x").status_code == 422

    # the referent promotes v2, then the owner rolls back to v1
    assert move(gw, world, "ref", "production", 2, "clearer letters").status_code == 200
    back = move(gw, world, "alice", "production", 1, "v2 invents references: roll back")
    assert (back.json()["version"], back.json()["previous_version"]) == (1, 2)
    listed = gw.get(prompts_url(world), headers=signed_in(gw, "bob")).json()
    assert [(v["version"], v["labels"]) for v in listed] == [(2, ["draft"]), (1, ["production"])]

    history = gw.get(f"{prompts_url(world)}/system/history", headers=signed_in(gw, "bob")).json()
    assert [(h["label"], h["version"], h["previous_version"], h["moved_by"]) for h in history] == [
        ("production", 1, 2, "Alice"),
        ("production", 2, 1, "Ref"),
        ("production", 1, None, "Alice"),
        ("draft", 2, 1, "Alice"),
        ("draft", 1, None, "Bob"),
    ]
    assert history[0]["reason"] == "v2 invents references: roll back"
    moved = records(world.rt, "prompt.label_moved")
    assert len(moved) == 5
    assert moved[-1]["old"]["version"] == 2
    assert moved[-1]["new"]["label"] == "production"


def test_the_promotion_gate_refuses_and_only_a_referent_overrides(
    gw: TestClient, world: World, rt: Runtime
) -> None:
    v1 = save(gw, world, "alice", "Version sûre.").json()
    v2 = save(gw, world, "alice", "Version qui régresse.").json()
    rt.__dict__["prompts"] = Prompts(
        rt.database, rt.trail, gate=refusing_gate({v2["id"]}), on_change=rt.gateway_changed
    )
    passed = move(gw, world, "alice", "production", 1, "first release")
    assert (passed.status_code, passed.json()["gate"]) == (200, "passed")

    refused = move(gw, world, "alice", "production", 2, "better tone")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "promotion_refused"
    assert "regression suite failed" in error["message"]
    (audited,) = records(rt, "prompt.promotion_refused")
    assert audited["new"]["prompt_version_id"] == v2["id"]
    assert rt.prompts.labelled(world.use_cases["drafting"], "system", "production").id == v1["id"]  # type: ignore[union-attr]

    # the owner may not override; an AI referent may, audited apart
    owner = move(gw, world, "alice", "production", 2, "urgent", override_gate=True)
    assert owner.status_code == 403
    assert "override_gate" in owner.json()["error"]["message"]
    forced = move(
        gw, world, "ref", "production", 2, "the suite's case 7 is wrong", override_gate=True
    )
    assert forced.status_code == 200, forced.text
    assert (forced.json()["gate"], forced.json()["gate_refusal"]) == (
        "overridden",
        f"regression suite failed for version id {v2['id']} (3 of 20 cases)",
    )
    (overridden,) = records(rt, "prompt.gate_overridden")
    assert overridden["reason"] == "the suite's case 7 is wrong"
    assert "regression suite failed" in overridden["new"]["refusal"]
    # rolling back passes the same gate
    back = move(gw, world, "alice", "production", 1, "roll back")
    assert back.json()["gate"] == "passed"


def test_the_gateway_applies_the_production_prompt_before_inspection(
    gw: TestClient, world: World, rt: Runtime
) -> None:
    key = world.key("alice", "drafting")
    save(gw, world, "alice", "Tu réponds en français.")
    with pytest.raises(Exception, match="labelled production"):
        serve_prompt(world)  # nothing in production yet
    assert move(gw, world, "alice", "production", 1, "first release").status_code == 200
    serve_prompt(world)
    v1 = rt.prompts.labelled(world.use_cases["drafting"], "system", "production")
    assert v1 is not None

    caller = [{"role": "system", "content": "Sois bref."}, {"role": "user", "content": "Q"}]
    answer = chat(gw, key, caller)
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-gouvernail-prompt-version"] == str(v1.id)
    assert sent_messages(world) == [
        {"role": "system", "content": "Tu réponds en français."},
        {"role": "user", "content": "Q"},
    ]
    assert last_log(rt).prompt_version_id == v1.id
    assert records(rt, "gateway.call_completed")[-1]["new"]["prompt_version_id"] == v1.id

    # a new production version applies at once on this replica, and is inspected
    save(gw, world, "alice", NAME_AND_MAIL)
    assert move(gw, world, "alice", "production", 2, "signature").status_code == 200
    assert chat(gw, key, caller).status_code == 200
    assert sent_messages(world)[0] == {"role": "system", "content": NAME_AND_MAIL}
    v2 = last_log(rt)
    assert v2.prompt_version_id != v1.id
    assert orjson.loads(v2.findings).get("EMAIL_ADDRESS") == 1

    world.rt.governance.configure(
        world.ctx,
        world.use_cases["drafting"],
        UseCaseGatewayIn.model_validate(
            {
                "reason": "letters stay internal",
                "data_class_ceiling": "internal",
                "system_prompt": "system",
                "system_prompt_mode": "prepend",
            }
        ),
    )
    assert chat(gw, key, caller).status_code == 200
    sent = sent_messages(world)
    assert [m["role"] for m in sent] == ["system", "system", "user"]
    assert sent[1]["content"] == "Sois bref."  # prepend keeps the caller's
    # the detectors saw the applied prompt: its e-mail address left as a placeholder
    assert "jeanne.martin@example.com" not in sent[0]["content"]
    assert "[EMAIL_ADDRESS_1]" in sent[0]["content"]
    row = last_log(rt)
    assert row.decision == "redact"
    assert row.prompt_version_id == v2.prompt_version_id

    # Responses: the prompt is the instructions
    response = sdk(gw, key).responses.create(
        model="gpt-eu", input="Dis bonjour.", instructions="Sois bref."
    )
    assert response.output_text
    body = orjson.loads(world.openai.requests[-1].raw)
    assert "[EMAIL_ADDRESS_1]" in body["instructions"]  # inspected there too
    assert body["instructions"].endswith("lot 42.\n\nSois bref.")  # prepended
    assert last_log(rt).prompt_version_id == row.prompt_version_id


def test_a_caller_declares_the_prompt_version_it_used(
    gw: TestClient, world: World, rt: Runtime
) -> None:
    mine = save(gw, world, "alice", "Prompt construit par l'application.").json()
    world.use_case("other", "bob")
    other = gw.post(
        prompts_url(world, "other"), json={"text": "Autre"}, headers=signed_in(gw, "bob")
    ).json()
    key = world.key("alice", "drafting")
    user = [{"role": "user", "content": "Q"}]
    header = "x-gouvernail-prompt-version"
    declared = chat(gw, key, user, **{header: str(mine["id"])})
    assert declared.status_code == 200, declared.text
    assert last_log(rt).prompt_version_id == mine["id"]
    assert sent_messages(world) == user  # declared, not applied
    for value in (str(other["id"]), "999999", "v1", "-3"):
        refused = chat(gw, key, user, **{header: value})
        assert refused.status_code == 400, value
        assert refused.json()["error"]["code"] == "invalid_prompt_version"
        assert header in refused.json()["error"]["message"]
    assert chat(gw, key, user).status_code == 200
    assert last_log(rt).prompt_version_id is None


def test_the_cli_lists_moves_and_shows_the_history(
    gw: TestClient, world: World, cli_env: Any
) -> None:
    save(gw, world, "alice", "Version une.")
    save(gw, world, "alice", "Version deux.")
    use_case = str(world.use_cases["drafting"])
    code, output = invoke(
        "prompt",
        "label",
        use_case,
        "system",
        "production",
        "--version",
        "1",
        "--as",
        "bob",
        "--reason",
        "ok",
    )
    assert code == 1
    assert "bob may not promote_any prompts" in output
    code, output = invoke(
        "prompt",
        "label",
        use_case,
        "system",
        "production",
        "--version",
        "1",
        "--as",
        "alice",
        "--reason",
        "first release",
    )
    assert code == 0, output
    assert "system production -> v1 (new label) by Alice; gate passed; first release" in output
    code, output = invoke(
        "prompt", "label", use_case, "system", "final", "--version", "1", "--as", "alice"
    )
    assert code == 2
    code, output = invoke("prompt", "versions", use_case)
    assert code == 0, output
    lines = [line for line in output.splitlines() if line.startswith("system")]
    assert lines[0].startswith("system v2")
    assert "[draft]" in lines[0]
    assert lines[1].startswith("system v1")
    assert "[production]" in lines[1]
    code, output = invoke("prompt", "history", use_case, "--json")
    assert code == 0, output
    assert [(m["label"], m["version"]) for m in json.loads(output)] == [
        ("production", 1),
        ("draft", 2),
        ("draft", 1),
    ]
