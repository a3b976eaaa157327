"""The detector registry: plain data, loaded from YAML.

The built-in detectors come from ``detectors.yaml`` shipped beside this module, in the same
layout an administrator writes; each admin file given to ``Registry.load`` is merged over it:

- ``data_classes``: entity type -> data class (merged key by key);
- ``class_order``: the class names from least to most sensitive, used when no charter is given;
- ``detectors``: a detector whose ``name`` already exists replaces it, a new name is added,
  ``enabled: false`` switches one off;
- ``injection``: ``threshold`` replaces, ``patterns`` merge by ``name``.

A detector has a ``kind``: the code-backed kinds (``email``, ``phone``, ``iban``,
``credit_card``, ``fr_nir``, ``fr_siren``, ``fr_siret``, ``names``) take options; the data kinds
``terms`` (dictionaries: words and phrases) and ``patterns`` (regular expressions) are what an
administrator adds, each entry optionally carrying its own data class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gouvernail.errors import GouvernailError

BUILTIN_FILE = Path(__file__).parent / "detectors.yaml"

Kind = Literal[
    "email",
    "phone",
    "iban",
    "credit_card",
    "fr_nir",
    "fr_siren",
    "fr_siret",
    "names",
    "terms",
    "patterns",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Strict):
    """A dictionary entry: a word or phrase (matched on whole words)."""

    term: str = Field(min_length=1, max_length=200)
    data_class: str | None = None
    case_sensitive: bool = False


def _compiled(value: str) -> str:
    """A regular expression an admin wrote must compile (a clear error otherwise)."""
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"invalid regular expression: {error}") from None
    return value


class Pattern(_Strict):
    """A regular expression; with ``context``, it fires only when one of those words appears
    within ``context_window`` characters before the match."""

    name: str = Field(min_length=1, max_length=80)
    regex: str = Field(min_length=1, max_length=2000)
    score: float = Field(0.8, ge=0, le=1)
    data_class: str | None = None
    case_sensitive: bool = True
    context: tuple[str, ...] = ()
    context_window: int = Field(60, ge=1, le=1000)

    _compiles = field_validator("regex")(_compiled)


class DetectorSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    kind: Kind
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    enabled: bool = True
    data_class: str | None = None
    """Overrides the entity type's class for everything this detector finds."""
    score: float = Field(0.85, ge=0, le=1)
    context: tuple[str, ...] = ()
    """Words that raise confidence when near a match (identifier kinds)."""
    regions: tuple[str, ...] = ()
    """Phone: the regions whose national formats are recognised (ISO 3166 codes)."""
    terms: tuple[Term, ...] = ()
    languages: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """terms kind: plain words and phrases per language (every language is searched)."""
    patterns: tuple[Pattern, ...] = ()
    titles: tuple[str, ...] = ()
    """names kind: honorifics that announce a name (M., Mme, Dr, Herr...), stripped from spans."""
    cues: tuple[str, ...] = ()
    """names kind: words after which a capitalised word is a name (greetings: Bonjour, Dear,
    Hallo...; roles: Customer, Patiente...), stripped from spans."""
    not_names: tuple[str, ...] = ()
    """names kind: capitalised words that are never names (months, acronyms, headings)."""
    not_after: tuple[str, ...] = ()
    """names kind: place prefixes (San, Saint, New...): a first name after one is a place."""
    organisations: tuple[str, ...] = ()
    """names kind: organisation names that look like person names (Pierre Fabre, Eli Lilly)."""


class InjectionPattern(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    regex: str = Field(min_length=1, max_length=2000)
    score: float = Field(0.9, ge=0, le=1)

    _compiles = field_validator("regex")(_compiled)


class InjectionSpec(_Strict):
    threshold: float = Field(0.5, ge=0, le=1)
    obfuscation_bonus: float = Field(0.1, ge=0, le=1)
    patterns: tuple[InjectionPattern, ...] = ()


class Registry(_Strict):
    """Everything the inspector needs, validated: detectors, the class mapping, injection."""

    class_order: tuple[str, ...] = ("public", "internal", "confidential", "secret")
    data_classes: dict[str, str] = Field(default_factory=dict)
    detectors: tuple[DetectorSpec, ...] = ()
    injection: InjectionSpec = InjectionSpec()

    @classmethod
    def load(cls, files: Sequence[Path] = (), overlays: Sequence[dict[str, Any]] = ()) -> Registry:
        """The built-in registry with each admin file, then each overlay (the administrator's
        version edited in the portal), merged over it, in order."""
        merged = _read(BUILTIN_FILE)
        for path in files:
            merged = _merge(merged, _read(path))
        for overlay in overlays:
            merged = _merge(merged, overlay)
        try:
            registry = cls.model_validate(merged)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise GouvernailError(
                f"invalid detector registry at {where}: {first['msg']}", field="detectors"
            ) from None
        registry.check()
        return registry

    def check(self) -> None:
        """Every detector's entity type has a data class."""
        for spec in self.detectors:
            if spec.enabled and spec.data_class is None and spec.entity not in self.data_classes:
                raise GouvernailError(
                    f"detector {spec.name!r}: entity {spec.entity} has no data class "
                    "(add it under data_classes or give the detector a data_class)",
                    field="data_classes",
                )

    def class_of(self, spec: DetectorSpec, entry: str | None = None) -> str:
        return entry or spec.data_class or self.data_classes[spec.entity]

    def enabled(self) -> list[DetectorSpec]:
        return [spec for spec in self.detectors if spec.enabled]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise GouvernailError(f"cannot read {path}: {error}", field="detectors") from None
    if not isinstance(data, dict):
        raise GouvernailError(f"{path}: expected a mapping", field="detectors")
    return data


def _by_name(items: list[Any], more: list[Any]) -> list[Any]:
    result = {item["name"]: item for item in items if isinstance(item, dict) and "name" in item}
    order = list(result)
    for item in more:
        if not isinstance(item, dict) or "name" not in item:
            raise GouvernailError(f"every entry needs a name: {item!r}", field="detectors")
        name = item["name"]
        if name in result and set(item) <= {"name", "enabled"}:
            result[name] = {**result[name], **item}  # switching one off keeps its definition
        else:
            result[name] = item
        if name not in order:
            order.append(name)
    return [result[name] for name in order]


def _merge(base: dict[str, Any], admin: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(admin) - {"class_order", "data_classes", "detectors", "injection"})
    if unknown:
        raise GouvernailError(f"unknown detector registry keys {unknown}", field="detectors")
    merged = dict(base)
    if "class_order" in admin:
        merged["class_order"] = admin["class_order"]
    merged["data_classes"] = {**base.get("data_classes", {}), **(admin.get("data_classes") or {})}
    merged["detectors"] = _by_name(base.get("detectors", []), admin.get("detectors") or [])
    if "injection" in admin:
        injection = dict(base.get("injection", {}))
        extra = admin["injection"] or {}
        for key, value in extra.items():
            if key == "patterns":
                injection["patterns"] = _by_name(injection.get("patterns", []), value or [])
            else:
                injection[key] = value
        merged["injection"] = injection
    return merged
