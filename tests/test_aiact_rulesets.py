"""Rule sets as data: an organisation corrects a date without code (``ai_act_rules_dir``),
broken rule-set files are refused at load time naming the file and the problem, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.aiact_cases import ON, annex_iii, answers
from typer.testing import CliRunner

from gouvernail.aiact import AiActClassifier, RuleSetError
from gouvernail.cli import app
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

CORRECTION = """\
version: acme-ai-act-2026.2
extends: eu-ai-act-2026.1
replaces: eu-ai-act-2026.1
source: "Corrigendum checked by Acme legal, 2026-11-20"
application_dates:
  annex_iii_high_risk:
    date: 2027-12-15
    source: "Acme legal reading of Art. 113 as amended"
"""
RECRUITING = annex_iii(
    "employment", "annex_iii_employment", ["recruitment_selection"], deployer_sector="private"
)


def rules_dir(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(text, encoding="utf-8")
    return directory


def test_a_correction_needs_no_code(tmp_path: Path) -> None:
    classifier = AiActClassifier.load_default(rules_dir(tmp_path, correction=CORRECTION))
    result = classifier.classify(RECRUITING, on=ON)
    assert result.ruleset == "acme-ai-act-2026.2"
    risk = next(o for o in result.obligations if o.id == "risk_management")
    assert (risk.applies_from, risk.source) == (
        dt.date(2027, 12, 15),
        "Acme legal reading of Art. 113 as amended",
    )
    # the corrected version stays available by name, to re-check what it said
    old = classifier.classify(RECRUITING, on=ON, ruleset="eu-ai-act-2026.1")
    assert next(o for o in old.obligations if o.id == "risk_management").applies_from == dt.date(
        2027, 12, 2
    )
    views = {view.version: view for view in classifier.rulesets(on=ON)}
    assert views["eu-ai-act-2026.1"].replaced_by == "acme-ai-act-2026.2"
    assert not views["eu-ai-act-2026.1"].in_force
    assert views["acme-ai-act-2026.2"].in_force
    assert views["acme-ai-act-2026.2"].replaces == "eu-ai-act-2026.1"
    # everything not stated is inherited
    assert views["acme-ai-act-2026.2"].effective_from == dt.date(2026, 7, 27)
    assert classifier.classify(answers(), on=dt.date(2025, 1, 1)).ruleset == "eu-ai-act-2024.1"


def test_a_derived_rule_set_can_remove_and_insert(tmp_path: Path) -> None:
    derived = """\
version: acme-2030
extends: eu-ai-act-2026.1
effective_from: 2030-01-01
questions:
  - id: transparency_features
    options:
      - value: interacts_with_persons
        remove: true
rules:
  - id: art50.interaction
    remove: true
obligations:
  - id: interaction_disclosure
    remove: true
"""
    classifier = AiActClassifier.load_default(rules_dir(tmp_path, derived=derived))
    form = classifier.questionnaire(on=dt.date(2030, 1, 1))
    features = next(q for q in form.questions if q.id == "transparency_features")
    assert "interacts_with_persons" not in features.allowed
    assert features.allowed[-1] == "none"
    assert classifier.classify(answers(), on=dt.date(2030, 1, 1)).tier == "minimal"


def rule(body: str) -> str:
    """A delta adding one rule whose body is given."""
    return f"rules: [{{id: x.y, stage: tier, {body}, text: {{en: a, fr: b}}}}]"


BROKEN: list[tuple[str, str, str]] = [
    (
        "rule on an unknown question",
        rule("when: {answer: colour, is: blue}"),
        "unknown question 'colour'",
    ),
    (
        "rule on an unknown fact",
        rule("when: {fact: colour, is: blue}"),
        "unknown fact 'colour'",
    ),
    (
        "rule in an unknown stage",
        "rules: [{id: x.y, stage: later, text: {en: a, fr: b}}]",
        "unknown stage 'later'",
    ),
    (
        "value that is not an option",
        rule("when: {answer: role, is: ceo}"),
        "'ceo' is not an option of role",
    ),
    (
        "includes on a one-of question",
        rule("when: {answer: role, includes: provider}"),
        "'includes' does not apply to role",
    ),
    (
        "unknown tag",
        rule("when: {answer: annex_i_product, tagged: section_c}"),
        "no option of annex_i_product has tag 'section_c'",
    ),
    (
        "fact set to the wrong type",
        rule("set: {tier: true}"),
        "'tier' takes a str",
    ),
    (
        "tier outside its values",
        rule("set: {tier: extreme}"),
        "'extreme' is not a value of fact 'tier'",
    ),
    (
        "append to a yes/no fact",
        rule("append: {gpai: x}"),
        "can only append to a list fact",
    ),
    (
        "obligation on an unknown date",
        "obligations: [{id: ai_literacy, applies_from: someday}]",
        "unknown application date 'someday'",
    ),
    (
        "question asked on a later answer",
        "questions: [{id: role, ask_when: {answer: general_purpose, is: none}}]",
        "'general_purpose' is not an earlier question",
    ),
    (
        "question asked on a fact",
        "questions: [{id: role, ask_when: {fact: tier, is: high}}]",
        "may only look at answers",
    ),
    (
        "contradiction naming no question",
        "contradictions: [{id: c, field: colour, when: {answer: role, is: provider},"
        " message: {en: a, fr: b}}]",
        "names unknown question 'colour'",
    ),
    (
        "removing an unknown rule",
        "rules: [{id: nothing.here, remove: true}]",
        "cannot remove unknown entry 'nothing.here'",
    ),
    (
        "inserting before an unknown entry",
        "rules: [{id: x.y, before: nothing.here, stage: tier, text: {en: a, fr: b}}]",
        "'before: nothing.here' names no entry",
    ),
    (
        "an output fact loses its values",
        "facts: {tier: {default: minimal, values: null}}",
        "fact 'tier' must list its values",
    ),
    (
        "a condition with two tests",
        rule("when: {answer: role, is: provider, in: [deployer]}"),
        "exactly one test",
    ),
    ("an unknown key", "colour: blue", "colour"),
    (
        "a question without French",
        "questions: [{id: role, text: {en: Role, fr: ''}}]",
        "questions.0.text.fr",
    ),
]


@pytest.mark.parametrize(
    ("delta", "problem"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_rule_sets_are_refused_at_load(tmp_path: Path, delta: str, problem: str) -> None:
    text = f"version: broken\nextends: eu-ai-act-2026.1\neffective_from: 2030-01-01\n{delta}\n"
    with pytest.raises(RuleSetError) as refused:
        AiActClassifier.load_default(rules_dir(tmp_path, broken=text))
    assert "broken.yaml" in str(refused.value)
    assert problem in str(refused.value)


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"a": "version: eu-ai-act-2026.1\n"}, "already defined"),
        ({"a": "version: a\nextends: nowhere\n"}, "extends unknown rule set 'nowhere'"),
        ({"a": "version: a\nextends: b\n", "b": "version: b\nextends: a\n"}, "round in a circle"),
        ({"a": "version: a\nextends: eu-ai-act-2026.1\nreplaces: nowhere\n"}, "replaces unknown"),
        ({"a": "version: a\nextends: eu-ai-act-2026.1\n"}, "both take effect on 2026-07-27"),
        ({"a": "version: [a\n"}, "not valid YAML"),
        ({"a": "- just\n- a list\n"}, "a mapping with a 'version'"),
    ],
)
def test_rule_set_files_that_cannot_be_used(
    tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    with pytest.raises(RuleSetError) as refused:
        AiActClassifier.load_default(rules_dir(tmp_path, **files))
    assert problem in str(refused.value)


def test_rules_dir_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="not a directory"):
        AiActClassifier.load_default(tmp_path / "missing")


def test_the_runtime_loads_the_configured_rules_dir(
    tmp_path: Path, make_settings: type[Settings]
) -> None:
    runtime = Runtime.build(make_settings(ai_act_rules_dir=rules_dir(tmp_path, c=CORRECTION)))
    try:
        assert runtime.aiact.ruleset(ON).version == "acme-ai-act-2026.2"
    finally:
        runtime.close()


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GOUVERNAIL_ENV", "test")
    monkeypatch.setenv("GOUVERNAIL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GOUVERNAIL_AI_ACT_RULES_DIR", raising=False)
    return CliRunner()


def test_cli_questionnaire_in_french(cli: CliRunner) -> None:
    result = cli.invoke(app, ["ai-act", "questionnaire", "--lang", "fr", "--on", "2026-11-21"])
    assert result.exit_code == 0, result.output
    assert "eu-ai-act-2026.1" in result.output
    assert "Quel est le rôle" in result.output
    assert "child_sexual_abuse_material" in result.output
    assert "asked when: annex_i_product" not in result.output  # it is "not annex_i_product is"
    assert "asked when: not annex_i_product is none" in result.output
    assert cli.invoke(app, ["ai-act", "questionnaire", "--lang", "de"]).exit_code == 2


def test_cli_classify_prints_tier_articles_and_dates(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(json.dumps(RECRUITING), encoding="utf-8")
    result = cli.invoke(app, ["ai-act", "classify", str(path), "--on", "2026-11-21"])
    assert result.exit_code == 0, result.output
    assert "tier: high (annex_iii)" in result.output
    assert "Annex III, point 4(a)" in result.output
    assert "2027-12-02" in result.output
    assert "art6_2.high_risk" in result.output
    french = cli.invoke(app, ["ai-act", "classify", str(path), "--lang", "fr"])
    assert "Vous développez le système" in french.output
    as_json = cli.invoke(app, ["ai-act", "classify", str(path), "--json", "--on", "2026-11-21"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["tier"] == "high"
    old = cli.invoke(
        app, ["ai-act", "classify", str(path), "--json", "--ruleset", "eu-ai-act-2024.1"]
    )
    assert json.loads(old.output)["ruleset"] == "eu-ai-act-2024.1"


def test_cli_classify_refuses_unusable_answers(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("role: owner\n", encoding="utf-8")
    result = cli.invoke(app, ["ai-act", "classify", str(bad)])
    assert result.exit_code == 2
    assert "error (role)" in result.output
    listed = tmp_path / "list.yaml"
    listed.write_text("- role\n", encoding="utf-8")
    assert cli.invoke(app, ["ai-act", "classify", str(listed)]).exit_code == 2
    assert cli.invoke(app, ["ai-act", "classify", str(tmp_path / "none.yaml")]).exit_code == 2
    good = tmp_path / "good.yaml"
    good.write_text(json.dumps(answers()), encoding="utf-8")
    assert cli.invoke(app, ["ai-act", "classify", str(good), "--on", "soon"]).exit_code == 2
    assert cli.invoke(app, ["ai-act", "classify", str(good), "--on", "2024-01-01"]).exit_code == 2


def test_cli_rulesets_with_an_organisation_correction(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli.invoke(app, ["ai-act", "rulesets", "--on", "2026-11-21"])
    assert result.exit_code == 0, result.output
    assert "eu-ai-act-2026.1 (in force)" in result.output
    assert "was 2026-08-02" in result.output
    monkeypatch.setenv("GOUVERNAIL_AI_ACT_RULES_DIR", str(rules_dir(tmp_path, c=CORRECTION)))
    corrected = cli.invoke(app, ["ai-act", "rulesets", "--on", "2026-11-21"])
    assert "replaced by acme-ai-act-2026.2" in corrected.output
    assert "acme-ai-act-2026.2 (in force)" in corrected.output
    (tmp_path / "rules" / "c.yaml").write_text("version: [\n", encoding="utf-8")
    broken = cli.invoke(app, ["ai-act", "rulesets"])
    assert broken.exit_code == 2
    assert "cannot load the AI Act rule sets" in broken.output
