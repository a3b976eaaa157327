"""The labelled detection set and its scorer (benchmarks/detection): the generator is
deterministic, its gold spans point at valid values, negatives hold none, the splits do not
share templates or name locales, and the scorer matches spans one-to-one."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
import pytest
from benchmarks.detection import people
from benchmarks.detection.checksums import iban_valid, luhn_valid, nir_valid
from benchmarks.detection.generate import ENTITY_TYPES, Sample, generate, templates_for
from benchmarks.detection.identifiers import bad_card, bad_iban, bad_nir, bad_siren, bad_siret
from benchmarks.detection.score import OVERLAP, STRICT, Counts, Scoreboard, count

SIZE = 120


@pytest.fixture(scope="module")
def dev() -> list[Sample]:
    return generate("dev", size=SIZE, seed=7)


@pytest.fixture(scope="module")
def heldout() -> list[Sample]:
    return generate("heldout", size=SIZE, seed=7)


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value)


CHECKS: dict[str, Callable[[str], object]] = {
    "IBAN_CODE": lambda v: iban_valid(v) and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9 ]+", v),
    "CREDIT_CARD": lambda v: luhn_valid(v) and 14 <= len(_compact(v)) <= 16,
    "FR_NIR": lambda v: nir_valid(v),
    "FR_SIREN": lambda v: luhn_valid(v) and len(_compact(v)) == 9,
    "FR_SIRET": lambda v: luhn_valid(v) and len(_compact(v)) == 14,
    "EMAIL_ADDRESS": lambda v: re.fullmatch(r"[a-z0-9.+\-]+@[a-z0-9.\-]+\.[a-z]{2,}", v),
    "PHONE_NUMBER": lambda v: any(
        phonenumbers.is_valid_number(phonenumbers.parse(v, region))
        for region in ("FR", "BE", "CH", "LU", "GB", "US", "IE", "DE", "AT")
    ),
    "PERSON": lambda v: v == v.strip()
    and v.split()[-1][0].isupper()  # "de Farias": a surname may start with a particle
    and not any(c.isdigit() for c in v),
}  # fmt: skip


def test_same_seed_same_set_other_seed_other_set(dev: list[Sample]) -> None:
    assert generate("dev", size=SIZE, seed=7) == dev
    assert [s.text for s in generate("dev", size=SIZE, seed=8)] != [s.text for s in dev]


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_gold_spans_point_at_valid_values(
    split: str, dev: list[Sample], heldout: list[Sample]
) -> None:
    samples = dev if split == "dev" else heldout
    seen: set[str] = set()
    for sample in samples:
        previous_end = 0
        for entity in sample.entities:
            value = sample.text[entity.start : entity.end]
            assert entity.start >= previous_end, (sample.id, "overlapping gold spans")
            assert CHECKS[entity.type](value), (sample.id, entity.type, value)
            previous_end = entity.end
            seen.add(entity.type)
    assert seen == set(ENTITY_TYPES)


def test_every_shape_of_identifier_occurs(dev: list[Sample]) -> None:
    values = {
        t: [s.text[e.start : e.end] for s in dev for e in s.entities if e.type == t]
        for t in ENTITY_TYPES
    }
    assert any(" " in v for v in values["IBAN_CODE"])
    assert any(" " not in v for v in values["IBAN_CODE"])
    assert {v[:2] for v in values["IBAN_CODE"]} >= {"FR", "DE", "GB"}
    assert any(v.startswith("+") for v in values["PHONE_NUMBER"])
    assert any(v.startswith("0") for v in values["PHONE_NUMBER"])
    assert any(re.search(r"2[AB]", v) for v in values["FR_NIR"])
    assert any(" " not in v for v in values["FR_NIR"])
    assert any(" " in v for v in values["FR_NIR"])
    assert {len(_compact(v)) for v in values["CREDIT_CARD"]} >= {14, 15, 16}
    names = values["PERSON"]
    assert any(v.isupper() for v in names)
    assert any("-" in v for v in names)
    assert any(re.match(r"[A-Z]\.", v) for v in names)
    assert any(re.search(r"\b(van|von|de|da|di|du)\b", v) for v in names)


def test_negatives_hold_no_entity(dev: list[Sample], heldout: list[Sample]) -> None:
    negatives = [s for s in dev + heldout if ".neg_" in s.template]
    assert len(negatives) > 40
    assert all(not s.entities for s in negatives)


@pytest.mark.parametrize(
    ("make", "valid"),
    [(bad_iban, iban_valid), (bad_card, luhn_valid), (bad_nir, nir_valid), (bad_siren, luhn_valid),
     (bad_siret, luhn_valid)],
)  # fmt: skip
def test_look_alikes_fail_their_checksum(
    make: Callable[[random.Random], str], valid: Callable[[str], bool]
) -> None:
    rng = random.Random(3)
    assert not any(valid(make(rng)) for _ in range(300))


def test_splits_share_no_template_and_no_name_locale() -> None:
    dev_texts = {t.text for ts in templates_for("dev").values() for t in ts}
    heldout_texts = {t.text for ts in templates_for("heldout").values() for t in ts}
    assert not dev_texts & heldout_texts
    dev_locales = {loc for locales in people.DEV_LOCALES.values() for loc in locales}
    assert not dev_locales & set(people.HELDOUT_LOCALES)
    rng = random.Random(1)
    assert {people.new_person(rng, "heldout", "fr").locale for _ in range(300)} <= set(
        people.HELDOUT_LOCALES
    )


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2 55 08 14 168 025 38", True),
        ("2 55 08 14 168 025 39", False),
        ("1 85 05 2A 123 456 33", True),  # Corsica: 97 - (1850520123456 - 1e6) % 97
        ("1 85 05 2B 123 456 60", True),  # 97 - (1850520123456 - 2e6) % 97
        ("1 85 05 2B 123 456 33", False),
    ],
)
def test_nir_key_known_values(value: str, valid: bool) -> None:
    assert nir_valid(value) is valid


def test_iban_and_luhn_known_values() -> None:
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("GB83WEST12345698765432")
    assert luhn_valid("4970 1012 3456 7899") is False
    assert luhn_valid("732 829 320")
    assert luhn_valid("73282932000074")


@dataclass(frozen=True)
class S:
    type: str
    start: int
    end: int


@pytest.mark.parametrize(
    ("gold", "predicted", "strict", "overlap"),
    [
        # exact hit
        ([S("PERSON", 0, 10)], [S("PERSON", 0, 10)], (1, 0, 0), (1, 0, 0)),
        # title included: wrong offsets, still covers the name
        ([S("PERSON", 4, 10)], [S("PERSON", 0, 10)], (0, 1, 1), (1, 0, 0)),
        # one prediction spanning two gold names counts once
        ([S("PERSON", 0, 5), S("PERSON", 7, 12)], [S("PERSON", 0, 12)], (0, 1, 2), (1, 0, 1)),
        # two predictions on one name: one true positive, one false positive
        ([S("PERSON", 0, 10)], [S("PERSON", 0, 4), S("PERSON", 5, 10)], (0, 2, 1), (1, 1, 0)),
        # the same prediction twice is counted once
        ([S("PERSON", 0, 10)], [S("PERSON", 0, 10), S("PERSON", 0, 10)], (1, 1, 0), (1, 1, 0)),
        # touching is not overlapping
        ([S("PERSON", 0, 5)], [S("PERSON", 5, 9)], (0, 1, 1), (0, 1, 1)),
        # a greedy pairing would take gold 0 for the long span and lose one: the matching does not
        ([S("PERSON", 0, 5), S("PERSON", 6, 9)], [S("PERSON", 0, 9), S("PERSON", 1, 3)],
         (0, 2, 2), (2, 0, 0)),
        # nothing anywhere
        ([], [], (0, 0, 0), (0, 0, 0)),
    ],
)  # fmt: skip
def test_matching(
    gold: list[S], predicted: list[S], strict: tuple[int, ...], overlap: tuple[int, ...]
) -> None:
    for matching, expected in ((STRICT, strict), (OVERLAP, overlap)):
        counted = count(gold, predicted, matching)
        assert (counted.tp, counted.fp, counted.fn) == expected, matching


def test_scoreboard_separates_types_and_languages_and_ignores_others() -> None:
    board = Scoreboard(("PERSON", "EMAIL_ADDRESS"))
    board.add("fr", [S("PERSON", 0, 5), S("EMAIL_ADDRESS", 10, 20)],
              [S("EMAIL_ADDRESS", 0, 5), S("LOCATION", 10, 20), S("PERSON", 0, 5)])  # fmt: skip
    board.add("en", [S("PERSON", 0, 5)], [])
    assert board.get(OVERLAP, "fr", "PERSON") == Counts(1, 0, 0)
    assert board.get(OVERLAP, "fr", "EMAIL_ADDRESS") == Counts(0, 1, 1)
    assert board.get(OVERLAP, "en", "PERSON") == Counts(0, 0, 1)
    assert board.get(OVERLAP, "all", "PERSON") == Counts(1, 0, 1)
    person = board.get(OVERLAP, "all", "PERSON")
    assert person.precision == 1.0
    assert person.recall == 0.5
    assert person.f1 == pytest.approx(2 / 3)
    assert Counts().f1 is None
    assert Counts(fp=2).precision == 0.0
    assert Counts(fp=2).recall is None
    assert "LOCATION" not in board.as_json()[OVERLAP]["fr"]
