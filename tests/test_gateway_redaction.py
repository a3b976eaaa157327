"""Reversible pseudonymisation: redaction, restoration (fail closed), JSON arguments, streams."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable

import pytest

from gouvernail.gateway.redaction import Restored, StreamRestorer, Vault
from gouvernail.inspection.findings import Finding

RANKS = {"public": 0, "internal": 1, "confidential": 2, "secret": 3}


def found(
    kind: str, start: int, end: int, data_class: str = "confidential", score: float = 0.9
) -> Finding:
    return Finding(kind, start, end, score, "test", data_class)


def spans(text: str, *pieces: tuple[str, str]) -> list[Finding]:
    """Findings for each (type, substring) at the substring's first occurrence."""
    out = []
    for kind, piece in pieces:
        start = text.index(piece)
        out.append(found(kind, start, start + len(piece)))
    return out


@pytest.mark.parametrize(
    ("text", "findings", "expected"),
    [
        pytest.param("Jean Dupont", [found("PERSON", 0, 11)], "[PERSON_1]", id="whole text"),
        pytest.param(
            "Jean Dupont a signé.", [found("PERSON", 0, 11)], "[PERSON_1] a signé.", id="at start"
        ),
        pytest.param(
            "Signé : jean@x.fr",
            [found("EMAIL_ADDRESS", 8, 17)],
            "Signé : [EMAIL_ADDRESS_1]",
            id="at end",
        ),
        pytest.param(
            "Jean Dupont, Marie Curie, Jean Dupont",
            [found("PERSON", 0, 11), found("PERSON", 13, 24), found("PERSON", 26, 37)],
            "[PERSON_1], [PERSON_2], [PERSON_1]",
            id="same original same placeholder",
        ),
        pytest.param(
            "Jean Dupont jean@x.fr",
            [found("PERSON", 0, 11), found("EMAIL_ADDRESS", 12, 21)],
            "[PERSON_1] [EMAIL_ADDRESS_1]",
            id="numbers per type",
        ),
        pytest.param(
            "M. Jean Dupont",
            [found("PERSON", 3, 14), found("PERSON", 3, 7), found("PERSON", 0, 7, score=0.4)],
            "[PERSON_1]",
            id="overlaps merged into their union",
        ),
        pytest.param(
            "AB",
            [found("X", 0, 1), found("Y", 1, 2)],
            "[X_1][Y_1]",
            id="touching spans stay apart",
        ),
        pytest.param(
            "Zoë Ångström 👩‍🔬 Łódź",
            [found("PERSON", 0, 12), found("LOCATION", 17, 21)],
            "[PERSON_1] 👩‍🔬 [LOCATION_1]",
            id="unicode offsets are code points",
        ),
        pytest.param(
            "abc", [found("X", 2, 99), found("Y", 5, 9)], "ab[X_1]", id="clipped to the text"
        ),
        pytest.param(
            "rien",
            [],
            "rien",
            id="no findings",
        ),
        pytest.param(
            "n° 1 85 05 78 006 084 36",
            [found("fr-nir", 5, 24)],
            "n° 1 [FR_NIR_1]",
            id="type sanitised",
        ),
    ],
)
def test_redact(text: str, findings: list[Finding], expected: str) -> None:
    vault = Vault()
    redacted = vault.redact(text, findings)
    assert redacted == expected
    assert vault.restore(redacted) == Restored(text, redacted.count("[") - text.count("["))


@pytest.mark.parametrize(
    ("rank", "expected"),
    [
        pytest.param(None, "[URL_1]", id="widest wins without ranks"),
        pytest.param(RANKS.__getitem__, "[EMAIL_ADDRESS_1]", id="most sensitive wins"),
    ],
)
def test_overlapping_types(rank: Callable[[str], int] | None, expected: str) -> None:
    text = "https://x.fr/?to=jean@x.fr"
    findings = [
        Finding("URL", 0, 26, 0.5, "test", "internal"),
        Finding("EMAIL_ADDRESS", 17, 26, 0.9, "test", "confidential"),
    ]
    vault = Vault(rank)
    assert vault.redact(text, findings) == expected
    assert vault.restore(expected).text == text


def test_originals_never_in_redacted_text_nor_repr() -> None:
    vault = Vault()
    text = "Écrire à Jean Dupont (jean.dupont@example.com) au 06 12 34 56 78."
    redacted = vault.redact(
        text,
        spans(
            text,
            ("PERSON", "Jean Dupont"),
            ("EMAIL_ADDRESS", "jean.dupont@example.com"),
            ("PHONE_NUMBER", "06 12 34 56 78"),
        ),
    )
    assert redacted == "Écrire à [PERSON_1] ([EMAIL_ADDRESS_1]) au [PHONE_NUMBER_1]."
    for original in ("Jean", "Dupont", "example", "56 78"):
        assert original not in redacted
        assert original not in repr(vault)
    assert vault.placeholders == ("[PERSON_1]", "[EMAIL_ADDRESS_1]", "[PHONE_NUMBER_1]")


def test_placeholder_already_in_the_request_is_never_issued() -> None:
    vault = Vault()
    system = "Write [PERSON_1] where a name was removed, as in [PERSON_3]."
    user = "Jean Dupont and Marie Curie met."
    vault.observe(system)
    vault.observe(user)
    redacted = vault.redact(user, spans(user, ("PERSON", "Jean Dupont"), ("PERSON", "Marie Curie")))
    assert redacted == "[PERSON_2] and [PERSON_4] met."
    answer = vault.restore("[PERSON_1] stays, [PERSON_2] and [PERSON_4] are back.")
    assert answer.text == "[PERSON_1] stays, Jean Dupont and Marie Curie are back."
    assert answer.restored == 2
    assert answer.unknown == ("[PERSON_1]",)


def test_redact_observes_its_own_text() -> None:
    vault = Vault()
    text = "[PERSON_1] is Jean Dupont"
    assert vault.redact(text, spans(text, ("PERSON", "Jean Dupont"))) == "[PERSON_1] is [PERSON_2]"


def test_placeholder_seen_after_issue_becomes_ambiguous() -> None:
    vault = Vault()
    first = "Jean Dupont"
    assert vault.redact(first, spans(first, ("PERSON", "Jean Dupont"))) == "[PERSON_1]"
    vault.observe("a later message quoting [PERSON_1] literally")
    answer = vault.restore("Hello [PERSON_1]")
    assert answer == Restored("Hello [PERSON_1]", 0, ("[PERSON_1]",))


def make_vault() -> Vault:
    vault = Vault()
    text = "Jean Dupont, jean@x.fr, Marie Curie"
    vault.redact(
        text,
        spans(
            text,
            ("PERSON", "Jean Dupont"),
            ("EMAIL_ADDRESS", "jean@x.fr"),
            ("PERSON", "Marie Curie"),
        ),
    )
    assert vault.placeholders == ("[PERSON_1]", "[EMAIL_ADDRESS_1]", "[PERSON_2]")
    return vault


@pytest.mark.parametrize(
    ("answer", "text", "restored", "unknown"),
    [
        ("Bonjour [PERSON_1] !", "Bonjour Jean Dupont !", 1, ()),
        ("[PERSON_1][PERSON_2]", "Jean DupontMarie Curie", 2, ()),
        ("[[PERSON_1]]", "[Jean Dupont]", 1, ()),
        ("Write to [EMAIL_ADDRESS_1].", "Write to jean@x.fr.", 1, ()),
        ("PERSON_1 said", None, 0, ("PERSON_1",)),
        ("ask PERSON 2", None, 0, ("PERSON 2",)),
        ("[PERSON 1]", None, 0, ("[PERSON 1]",)),
        ("⟨PERSON_1⟩", None, 0, ("⟨PERSON_1⟩",)),
        ("[person_1]", None, 0, ("[person_1]",)),
        ("<EMAIL ADDRESS 1>", None, 0, ("<EMAIL ADDRESS 1>",)),
        ("[PERSON-2]", None, 0, ("[PERSON-2]",)),
        ("[PERSON_9]", None, 0, ("[PERSON_9]",)),
        ("[PERSON_12]", None, 0, ("[PERSON_12]",)),
        ("[PERSON_01]", None, 0, ("[PERSON_01]",)),
        ("[IBAN_CODE_1]", None, 0, ("[IBAN_CODE_1]",)),
        ("[PERSON_1 and", None, 0, ("[PERSON_1",)),
        ("the end [PERSON_", None, 0, ("[PERSON_",)),
        ("cut [EMAIL_ADDRE", None, 0, ("[EMAIL_ADDRE",)),
        ("cut [", None, 0, ("[",)),
        ("[PERSON_1] and [PERSON_1 ", "Jean Dupont and [PERSON_1 ", 1, ("[PERSON_1",)),
        ("see [1], [note], PERSONNEL 2, [EMAIL_ADDRESS]", None, 0, ()),
        ("Person 1 and person_2 in prose", None, 0, ()),
    ],
)
def test_restore_fails_closed(
    answer: str, text: str | None, restored: int, unknown: tuple[str, ...]
) -> None:
    result = make_vault().restore(answer)
    assert result == Restored(answer if text is None else text, restored, unknown)


def test_unknown_is_reported_once_in_order() -> None:
    restored = make_vault().restore("[PERSON_9] PERSON_1 [PERSON_9] [PERSON_1]")
    assert restored.unknown == ("[PERSON_9]", "PERSON_1")
    assert restored.restored == 1


def test_empty_vault_is_identity() -> None:
    assert Vault().restore("[PERSON_1] PERSON_1") == Restored("[PERSON_1] PERSON_1", 0)


@pytest.mark.parametrize(
    "original",
    [
        'Jean "Le Grand" Dupont',
        "C:\\Users\\jdupont",
        "Zoë\nÅngström\t👩‍🔬",
        'a\\"b\u2028c\x00d',
        "</script>",
    ],
)
def test_json_arguments_restored_with_escaping(original: str) -> None:
    vault = Vault()
    redacted = vault.redact(original, [found("PERSON", 0, len(original))])
    arguments = json.dumps({"name": redacted, "note": f'to {redacted}, "quoted"'})
    restored = vault.restore_json_fragment(arguments)
    assert json.loads(restored.text) == {"name": original, "note": f'to {original}, "quoted"'}
    assert restored.restored == 2


def stream(restorer: StreamRestorer, chunks: list[str], longest: int) -> str:
    out = []
    for chunk in chunks:
        out.append(restorer.feed(chunk))
        assert restorer.held < longest
    out.append(restorer.finish())
    return "".join(out)


def split(text: str, cuts: list[int]) -> list[str]:
    bounds = [0, *sorted(cuts), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


SHORT = "A [PERSON_1]: [EMAIL_ADDRESS_1] [PERSON_9] [PERS"


def test_stream_every_two_and_three_way_split() -> None:
    vault = make_vault()
    whole = vault.restore(SHORT)
    cases = [[i] for i in range(len(SHORT) + 1)] + [
        [i, j] for i in range(len(SHORT) + 1) for j in range(i, len(SHORT) + 1)
    ]
    for cuts in cases:
        restorer = StreamRestorer(vault)
        assert stream(restorer, split(SHORT, cuts), vault.longest) == whole.text, cuts
        assert restorer.unknown == whole.unknown
        assert restorer.restored == whole.restored == 2


@pytest.mark.parametrize("as_json", [False, True])
def test_stream_one_character_per_chunk(as_json: bool) -> None:
    vault = Vault()
    original = 'Jean "JD" \\ Dupont'
    redacted = vault.redact(original, [found("PERSON", 0, len(original))])
    text = json.dumps({"a": redacted, "b": [redacted, "[PERSON_2]"]}) if as_json else redacted * 3
    restorer = StreamRestorer(vault, json=as_json)
    out = stream(restorer, list(text), vault.longest)
    expected = vault.restore_json_fragment(text) if as_json else vault.restore(text)
    assert out == expected.text
    assert restorer.restored == expected.restored
    if as_json:
        assert json.loads(out) == {"a": original, "b": [original, "[PERSON_2]"]}
        assert restorer.unknown == ("[PERSON_2]",)


def test_stream_random_splits() -> None:
    vault = make_vault()
    words = [
        "[PERSON_1]", "[PERSON_2]", "[EMAIL_ADDRESS_1]", "[PERSON_3]", "PERSON_1", "[", "]",
        "[[", "[PERSON", "_", "1", "texte", " ", "é", "👩‍🔬", "⟨PERSON 2⟩", "[EMAIL_ADDRESS",
    ]  # fmt: skip
    rng = random.Random(20240611)
    for _ in range(300):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 40)))
        cuts = [rng.randint(0, len(text)) for _ in range(rng.randint(0, 12))]
        whole = vault.restore(text)
        restorer = StreamRestorer(vault)
        assert stream(restorer, split(text, cuts), vault.longest) == whole.text, (text, cuts)
        assert restorer.unknown == whole.unknown
        assert restorer.restored == whole.restored


@pytest.mark.parametrize(
    ("chunks", "emitted", "held"),
    [
        (["Hello "], "Hello ", 0),
        (["Hello [PER"], "Hello ", 4),
        (["Hello [PERSON_1"], "Hello ", 9),
        (["Hello [PERSON_1]"], "Hello Jean Dupont", 0),
        (["Hello [PERSON_3"], "Hello [PERSON_3", 0),
        (["Hello [note"], "Hello [note", 0),
        (["a [", "[PER"], "a [", 4),
    ],
)
def test_stream_holds_back_only_a_possible_placeholder(
    chunks: list[str], emitted: str, held: int
) -> None:
    restorer = StreamRestorer(make_vault())
    assert "".join(restorer.feed(chunk) for chunk in chunks) == emitted
    assert restorer.held == held


def test_stream_dangling_placeholder_is_emitted_and_reported() -> None:
    restorer = StreamRestorer(make_vault())
    assert restorer.feed("Bye [PERSON_") == "Bye "
    assert not restorer.unknown
    assert restorer.finish() == "[PERSON_"
    assert restorer.unknown == ("[PERSON_",)


def test_stream_with_empty_vault_passes_through() -> None:
    restorer = StreamRestorer(Vault())
    assert restorer.feed("[PERSON_1") == "[PERSON_1"
    assert restorer.finish() == ""
    assert restorer.unknown == ()
