"""Person names that no first-name list knows: structure and context, not the gazetteer.

The names below are invented (not from Faker's pools); every inspector here runs without the
first-name list, so only the generic evidence can find them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gouvernail.inspection import Inspector
from gouvernail.inspection.name_vocabulary import parse_vocabulary, read_vocabulary
from gouvernail.inspection.registry import Registry


@pytest.fixture(scope="module")
def no_list() -> Iterator[Inspector]:
    built = Inspector(Registry.load(), first_names=frozenset())
    yield built
    built.close()


def persons(inspector: Inspector, text: str, *, fast: bool = False) -> list[str]:
    findings = inspector.fast_findings(text) if fast else inspector.inspect_text(text).findings
    return [text[f.start : f.end] for f in findings if f.type == "PERSON"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Merci de rappeler Mme Quobrani demain matin.", "Quobrani"),
        ("Please ask Mrs Ellowenth to sign the form.", "Ellowenth"),
        ("Bitte informieren Sie Herrn Drabowitz über den Termin.", "Drabowitz"),
        ("Le rapport sera présenté par Yzaël Montcorbier jeudi.", "Yzaël Montcorbier"),
        ("The slides were signed by Tavimo Kerrapath last week.", "Tavimo Kerrapath"),
        ("Die Unterlagen hat Orlena Wisperkamp geschrieben.", "Orlena Wisperkamp"),
        ("Contact : Brunelle Ostavique, service achats.", "Brunelle Ostavique"),
        ("Signed by Mr West on 3 May.", "West"),
        ("Die Akte betreut Frau Nord.", "Nord"),
        ("Bitte Herrn von Quastenberg informieren.", "von Quastenberg"),
    ],
)
def test_context_and_structure_find_names_of_any_origin(
    no_list: Inspector, text: str, name: str
) -> None:
    assert name in persons(no_list, text)
    assert name in persons(no_list, text, fast=True)  # the rules alone, no NER


@pytest.mark.parametrize(
    "text",
    [
        "Cordialement,\n\nOSVALDINE TREMBRACQ\nDirection des achats",
        "Kind regards,\nPellamy Rook-Atherby\nProcurement",
        "Mit freundlichen Grüßen\nIvenka Halstorp",
    ],
)
def test_a_signature_under_a_closing_is_a_name(no_list: Inspector, text: str) -> None:
    signature = text.split("\n\n")[-1].splitlines()[0] if "\n\n" in text else text.splitlines()[1]
    assert persons(no_list, text, fast=True) == [signature]


def test_a_surname_found_once_is_found_again(no_list: Inspector) -> None:
    text = "Le dossier de Yzaël Montcorbier avance. Selon Montcorbier, la signature est prévue."
    assert persons(no_list, text) == ["Yzaël Montcorbier", "Montcorbier"]


@pytest.mark.parametrize(
    "text",
    [
        "Le congrès aura lieu au Palais des Congrès puis à l'Hôtel Beaumartin Centre.",
        "The meeting moves to Royal Kensal Hospital, then to the Ferrowin Clinic.",
        "Die Tagung findet im Klinikum Ostervald und im Hotel Brankenhof statt.",
        "The session at Queen Adelheid Hall was chaired by the board.",
        "Rendez-vous au Campus Saint-Exupéry avec la directrice financière.",
        "Her Chief Financial Officer approved it.",
        "Graves' disease is discussed in the next session.",
    ],
)
def test_capitalised_institutions_are_not_persons(no_list: Inspector, text: str) -> None:
    assert persons(no_list, text) == []
    with_list = Inspector.load()
    try:
        assert persons(with_list, text) == []
    finally:
        with_list.close()


def test_vocabulary_files_parse_and_ship_every_section() -> None:
    vocabulary = read_vocabulary()
    assert {"selon", "chief", "laut"} <= vocabulary.common
    assert {"hôpital", "hotel", "klinikum"} <= vocabulary.before
    assert {"clinic", "institute", "gmbh"} <= vocabulary.after
    assert {"cordialement", "regards", "grüßen"} <= vocabulary.closings
    with pytest.raises(ValueError, match="unknown section"):
        parse_vocabulary("[nonsense]\nword\n")
    with pytest.raises(ValueError, match="before any section"):
        parse_vocabulary("word\n")
    assert read_vocabulary(Path("/nonexistent")).common == frozenset()
