"""What a placeholder looks like, and what merely looks like one.

The format is ``[TYPE_N]``: ASCII square brackets around the upper-case entity type and a
1-based number, e.g. ``[PERSON_1]``, ``[EMAIL_ADDRESS_2]``. Why this one:

- models copy it faithfully: square brackets, capitals, an underscore and digits are common
  tokens in every tokenizer (the form LLM Guard and Presidio users already feed to models),
  whereas rarer characters (``⟨⟩``, ``«»``) or per-request random tags get normalised,
  translated or shortened by the model, and a mangled placeholder can only fail closed;
- it is cheap and unambiguous to find: it always starts with ``[``, never contains ``[`` or
  ``]`` inside, so placeholders never overlap and one ``str.rfind("[")`` tells a stream whether
  its tail may be the beginning of one;
- it needs no escaping inside a JSON string, so it survives tool-call arguments verbatim;
- the type tells the model what was there (a person, an e-mail), so answers stay sensible.

Collisions with text that already contains such a token are the vault's business: it never
issues a placeholder that appears verbatim in the request, and drops (fails closed on) one that
turns up in the request after it was issued.

The loose pattern finds what a model may have made of a placeholder (``PERSON_1`` without
brackets, ``⟨PERSON 1⟩``, ``[person-1]``, ``[PERSON_1`` cut short, ``[PERSON_9]`` never issued):
those are never restored, only reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_DIGITS = 6
"""Placeholder numbers have at most this many digits (a million originals per type)."""

EXACT = re.compile(r"\[[A-Z][A-Z0-9_]{0,63}_[1-9][0-9]{0,5}\]")
"""Any token of the placeholder form, issued by us or not."""

_OPEN = "[⟨<{(〈«【"
_CLOSE = "]⟩>})〉»】"
_NOT_TYPE = re.compile(r"[^A-Z0-9_]+")


def type_name(entity_type: str) -> str:
    """The entity type as it appears in a placeholder: upper-case letters, digits and
    underscores, starting with a letter (``PII`` when nothing is left)."""
    name = _NOT_TYPE.sub("_", entity_type.upper()).strip("_").lstrip("0123456789_")
    return name or "PII"


def placeholder(entity_type: str, number: int) -> str:
    return f"[{type_name(entity_type)}_{number}]"


def mask(entity_type: str) -> str:
    """What the output guard puts in place of a leak: the type without a number, so that it is
    never taken for a placeholder."""
    return f"[{type_name(entity_type)}]"


def loose_pattern(types: Iterable[str]) -> re.Pattern[str]:
    """Placeholder-like tokens for the given placeholder types: any exact-form token, any
    bracketed variant (other brackets, spaces or hyphens for underscores, any case, missing
    closing bracket) and the bare upper-case form followed by a number."""
    names = sorted(set(types), key=len, reverse=True)
    alternatives = [EXACT.pattern]
    if names:
        loose = "|".join(_loose_name(name) for name in names)
        bare = "|".join(_bare_name(name) for name in names)
        opening = re.escape(_OPEN)
        closing = re.escape(_CLOSE)
        alternatives.append(
            rf"[{opening}] ?(?i:{loose})[_ \-]?[0-9]{{1,{MAX_DIGITS}}}(?![0-9]) ?[{closing}]?"
        )
        alternatives.append(rf"(?<![\w\[])(?:{bare})[_ ][0-9]{{1,{MAX_DIGITS}}}(?![0-9])")
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


def _loose_name(name: str) -> str:
    return r"[_ \-]?".join(re.escape(word) for word in name.split("_"))


def _bare_name(name: str) -> str:
    return "[_ ]".join(re.escape(word) for word in name.split("_"))
