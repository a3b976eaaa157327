"""The rule sets on hand: the ones shipped with Gouvernail and the ones an organisation drops
in ``ai_act_rules_dir``; which one is in force on a date.

A rule-set file may ``extends:`` another version and then only states what differs (the
Digital Omnibus file is written that way). Lists of questions, options, rules, obligations and
contradictions are merged by ``id`` (``value`` for options): an entry with a known id is merged
into it, a new one is added (before the entry named by ``before:`` if given), and
``remove: true`` deletes one. Conditions, ``set``/``append`` and ``superseded`` are replaced
whole. ``replaces:`` withdraws an earlier version from selection by date (it can still be
asked for by version), which is how a correction is published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gouvernail.aiact.ruleset import RuleSet, RuleSetError
from gouvernail.errors import GouvernailError

SHIPPED = Path(__file__).parent / "rulesets"

KEYED = {
    "questions": "id",
    "rules": "id",
    "obligations": "id",
    "contradictions": "id",
    "options": "value",
}
WHOLE = {"when", "ask_when", "ends_when", "applies_from", "set", "append", "superseded"}
OWN = ("extends", "replaces")  # never inherited from the extended rule set
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built in: 20x faster


def merge(base: Any, delta: Any, key: str | None = None) -> Any:
    """``delta`` laid over ``base`` (neither is changed)."""
    if key in WHOLE:
        return delta
    if isinstance(base, dict) and isinstance(delta, dict):
        out = dict(base)
        for name, value in delta.items():
            out[name] = merge(base[name], value, name) if name in base else value
        return out
    if key in KEYED and isinstance(base, list) and isinstance(delta, list):
        return _merge_keyed(base, delta, KEYED[key])
    return delta


def _merge_keyed(base: list[Any], delta: list[Any], id_key: str) -> list[Any]:
    items = list(base)

    def index_of(ident: Any) -> int | None:
        return next((i for i, item in enumerate(items) if item.get(id_key) == ident), None)

    for raw in delta:
        if not isinstance(raw, dict) or id_key not in raw:
            raise ValueError(f"every entry needs its '{id_key}' to be merged: {raw!r}")
        entry = dict(raw)
        remove = entry.pop("remove", False)
        before = entry.pop("before", None)
        index = index_of(entry[id_key])
        if remove:
            if index is None:
                raise ValueError(f"cannot remove unknown entry '{entry[id_key]}'")
            del items[index]
        elif index is not None:
            items[index] = merge(items[index], entry)
        else:
            at = index_of(before) if before is not None else None
            if before is not None and at is None:
                raise ValueError(f"'before: {before}' names no entry")
            items.insert(len(items) if at is None else at, entry)
    return items


@dataclass(frozen=True)
class Catalogue:
    rulesets: dict[str, RuleSet]
    files: dict[str, Path]

    @classmethod
    def load(cls, *directories: Path) -> Catalogue:
        """Read every ``*.yaml`` of the directories (shipped first); refuse anything unusable."""
        raw: dict[str, dict[str, Any]] = {}
        files: dict[str, Path] = {}
        for directory in directories:
            if not directory.is_dir():
                raise RuleSetError(f"{directory}: not a directory of AI Act rule sets")
            for path in sorted(directory.glob("*.yaml")):
                data = _read(path)
                version = str(data["version"])
                if version in raw:
                    raise RuleSetError(
                        f"{path}: version {version} is already defined in {files[version]}; "
                        "publish a correction under a new version with 'replaces: "
                        f"{version}'"
                    )
                raw[version] = data
                files[version] = path
        merged: dict[str, dict[str, Any]] = {}

        def resolve(version: str, chain: tuple[str, ...]) -> dict[str, Any]:
            if version in merged:
                return merged[version]
            data = raw[version]
            parent = data.get("extends")
            if parent is not None:
                if parent not in raw:
                    raise RuleSetError(f"{files[version]}: extends unknown rule set '{parent}'")
                if parent in chain:
                    raise RuleSetError(f"{files[version]}: 'extends' goes round in a circle")
                base = {k: v for k, v in resolve(parent, (*chain, version)).items() if k not in OWN}
                try:
                    data = merge(base, data)
                except ValueError as error:
                    raise RuleSetError(f"{files[version]}: {error}") from None
            merged[version] = data
            return data

        rulesets: dict[str, RuleSet] = {}
        for version in raw:
            try:
                rulesets[version] = RuleSet.model_validate(resolve(version, ()))
            except ValidationError as error:
                raise RuleSetError(f"{files[version]}: {_describe(error)}") from None
        catalogue = cls(rulesets, files)
        catalogue._check_selection()
        return catalogue

    def _check_selection(self) -> None:
        for ruleset in self.rulesets.values():
            if ruleset.replaces is not None and ruleset.replaces not in self.rulesets:
                raise RuleSetError(
                    f"{self.files[ruleset.version]}: replaces unknown rule set '{ruleset.replaces}'"
                )
        by_date: dict[dt.date, str] = {}
        for ruleset in self.selectable():
            other = by_date.setdefault(ruleset.effective_from, ruleset.version)
            if other != ruleset.version:
                raise RuleSetError(
                    f"{self.files[ruleset.version]}: {ruleset.version} and {other} both take "
                    f"effect on {ruleset.effective_from}; say which one 'replaces' the other"
                )

    def replaced_by(self, version: str) -> str | None:
        return next((r.version for r in self.rulesets.values() if r.replaces == version), None)

    def selectable(self) -> list[RuleSet]:
        """Rule sets chosen by date (not replaced), oldest first."""
        live = [r for r in self.rulesets.values() if self.replaced_by(r.version) is None]
        return sorted(live, key=lambda r: r.effective_from)

    def in_force(self, on: dt.date) -> RuleSet:
        candidates = [r for r in self.selectable() if r.effective_from <= on]
        if not candidates:
            earliest = self.selectable()[0].effective_from
            raise GouvernailError(
                f"no AI Act rule set is in force on {on}; the earliest takes effect on {earliest}",
                field="on",
                code="no_ruleset",
                status=422,
            )
        return candidates[-1]

    def get(self, version: str) -> RuleSet:
        if version not in self.rulesets:
            known = ", ".join(sorted(self.rulesets))
            raise GouvernailError(
                f"unknown rule set '{version}'; known: {known}",
                field="ruleset",
                code="unknown_ruleset",
                status=422,
            )
        return self.rulesets[version]


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        data = _parse(text)
    except yaml.YAMLError as error:
        raise RuleSetError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict) or not data.get("version"):
        raise RuleSetError(f"{path}: a rule set is a mapping with a 'version'")
    return data


def _parse(text: str) -> Any:
    """Safe YAML parsing, with libyaml when built in. Under some coverage tracers libyaml's
    parser leaves nodes untagged (a ConstructorError); the pure-Python parser then reads the
    same text, so a file is never refused for that."""
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.constructor.ConstructorError:
        if _LOADER is yaml.SafeLoader:
            raise
        return yaml.load(text, Loader=yaml.SafeLoader)


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts)
