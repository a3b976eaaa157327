"""Bilingual retrieval for duplicate detection: analysis, BM25, suggestions, and recall on a
sample of the benchmark's paraphrase pairs. The package has no routes and no tables: its public
surface is ``gouvernail.search``."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from gouvernail.search import (
    DEFAULT_THRESHOLD,
    Analyzer,
    BM25Index,
    DuplicateFinder,
    Language,
    StopWords,
    Thesaurus,
)
from gouvernail.search.tokens import Token, tokenize

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.fixture(scope="module")
def finder(analyzer: Analyzer) -> DuplicateFinder:
    return DuplicateFinder(analyzer)


def _load(name: str) -> list[dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


# --- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l'essai", ["essai"]),
        ("L\u2019équipe", ["équipe"]),  # typographic apostrophe, case folded
        ("qu'un", ["un"]),
        ("jusqu'à l'usine", ["usine"]),  # "à" is a word of one letter
        ("d'autorisation", ["autorisation"]),
        ("the company's drugs", ["the", "company", "drugs"]),
        ("aujourd'hui", ["aujourdhui"]),
        ("e-mail", ["mail", "email"]),
        ("COVID-19", ["covid", "19", "covid19"]),
        ("version 3.5 du 21 CFR", ["version", "3.5", "du", "21", "cfr"]),
        ("ﬁchier", ["fichier"]),  # NFKC: the "fi" ligature
        ("\uff24\uff4f\uff53\uff45", ["dose"]),  # NFKC: full-width letters
        ("a b c", []),  # one-letter words are dropped
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert [token.text for token in tokenize(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IT helpdesk", [Token("it", True), Token("helpdesk")]),
        ("ask it", [Token("ask"), Token("it")]),
        ("CVs and SOPs", [Token("cv", True), Token("and"), Token("sop", True)]),
        # a text in capitals has no acronyms
        (
            "PREDICTIVE MAINTENANCE OF THE LINES",
            [Token(w) for w in ("predictive", "maintenance")]
            + [Token("of"), Token("the"), Token("lines")],
        ),
    ],
)
def test_acronyms(text: str, expected: list[Token]) -> None:
    assert tokenize(text) == expected


# --- analyzer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "language"),
    [
        (["recrutement", "recrutements", "recruter", "recrutés"], Language.FRENCH),
        (["essai", "essais"], Language.FRENCH),  # Snowball keeps this plural "s": corrected
        (["emploi", "emplois"], Language.FRENCH),
        (["prévision", "prévisions", "Prévision"], Language.FRENCH),
        (["analyse", "analyser", "analysé", "analysées"], Language.FRENCH),
        (["déviation", "déviations", "deviation"], Language.FRENCH),  # accents folded
        (["forecast", "forecasts", "forecasting"], Language.ENGLISH),
        (["optimise", "optimize", "optimising", "optimizing"], Language.ENGLISH),
        (["analyse", "analyze", "analysed"], Language.ENGLISH),
        (["contract", "contracts"], Language.ENGLISH),
    ],
)
def test_inflections_stem_together(words: list[str], language: Language) -> None:
    terms = {tuple(Analyzer(thesaurus=Thesaurus(())).terms(w, language)) for w in words}
    assert len(terms) == 1, terms


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Analyse des déviations de la production",
            Language.FRENCH,
            ["analys", "deviat", "product"],
        ),
        ("Forecasting the sales of the brands", Language.ENGLISH, ["forecast", "sale", "brand"]),
        ("l'IA pour l'équipe", Language.FRENCH, ["equip"]),  # "IA" is a domain stop word
        ("the IT team", Language.ENGLISH, ["it", "team"]),  # the acronym is no stop word
        ("company car fleet", Language.ENGLISH, ["car", "fleet"]),  # "car" is French only
        ("le car de ramassage", Language.FRENCH, ["ramassag"]),
    ],
)
def test_analysis_terms(text: str, language: Language, expected: list[str]) -> None:
    plain = Analyzer(thesaurus=Thesaurus(()))
    assert plain.terms(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Prévoir la demande des produits dans chaque pays", Language.FRENCH),
        ("Predict the demand for each product in every country", Language.ENGLISH),
        ("Détection", Language.FRENCH),  # no stop word: the accent decides
        ("Chatbot RH", Language.ENGLISH),  # no evidence at all: the default
        ("Le chatbot for the HR team", Language.ENGLISH),  # more English grammar words
        ("Un forecast des ventes pour les filiales", Language.FRENCH),
    ],
)
def test_language_detection(analyzer: Analyzer, text: str, language: Language) -> None:
    assert analyzer.detect(text) is language


def test_default_language_is_configurable() -> None:
    assert Analyzer(default_language=Language.FRENCH).detect("Chatbot RH") is Language.FRENCH


@pytest.mark.parametrize(
    ("french", "english", "concept"),
    [
        (
            "Recrutement pour les essais cliniques",
            "Recruiting for clinical trials",
            "~clinical_trial",
        ),
        ("Tri des CV", "Screening resumes", "~candidate"),
        ("effets indésirables graves", "serious adverse events", "~adverse_event"),
        ("Prévision des ventes", "Sales forecasting", "~forecast"),
        ("le service des ressources humaines", "HR department", "~human_resources"),
    ],
)
def test_thesaurus_joins_french_and_english(
    analyzer: Analyzer, french: str, english: str, concept: str
) -> None:
    assert concept in analyzer.terms(french)
    assert concept in analyzer.terms(english)


def test_thesaurus_replaces_the_phrase_and_respects_language(analyzer: Analyzer) -> None:
    terms = analyzer.terms("Clinical trial patient matching", Language.ENGLISH)
    assert "~clinical_trial" in terms
    assert "trial" not in terms
    assert "clinic" not in terms
    # "résumé" is a summary in French and a CV in English
    assert "~summary" in analyzer.terms("résumé de la réunion", Language.FRENCH)
    assert "~candidate" in analyzer.terms("resume of the applicant", Language.ENGLISH)
    assert "~candidate" not in analyzer.terms("résumé de la réunion", Language.FRENCH)


def test_a_custom_thesaurus_and_stop_words() -> None:
    thesaurus = Thesaurus.from_mapping({"kit": {"fr": ["trousse"], "en": ["kit", "toolkit"]}})
    stopwords = StopWords.from_lists({Language.FRENCH: ["la"], Language.ENGLISH: ["the"]})
    custom = Analyzer(stopwords, thesaurus)
    assert custom.terms("la trousse", Language.FRENCH) == ["~kit"]
    assert custom.terms("the toolkit", Language.ENGLISH) == ["~kit"]
    assert custom.version != Analyzer(stopwords, Thesaurus(())).version


def test_analysis_is_deterministic_and_thread_safe(analyzer: Analyzer) -> None:
    texts = [f"Prévision des ventes numéro {n} pour les pharmacies" for n in range(200)]
    expected = [analyzer.terms(text) for text in texts]
    results: list[list[list[str]]] = []

    def work() -> None:
        results.append([analyzer.terms(text) for text in texts])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
    assert Analyzer().version == analyzer.version


# --- BM25 --------------------------------------------------------------------------------------


def _index(docs: dict[str, str], analyzer: Analyzer) -> BM25Index:
    index = BM25Index()
    for doc_id, text in docs.items():
        index.add(doc_id, analyzer.terms(text))
    return index


DOCS = {
    "cv": "Tri automatique des CV des candidats pour les offres d'emploi",
    "pv": "Saisie des cas de pharmacovigilance à partir des courriels",
    "forecast": "Prévision des ventes par pays et par produit",
    "chatbot": "Chatbot de support informatique pour les mots de passe",
    "contracts": "Revue des contrats fournisseurs et extraction des clauses",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Classer les candidatures reçues pour un poste", "cv"),
        ("Prévoir les ventes de chaque pays", "forecast"),
        ("Réinitialiser son mot de passe avec un bot", "chatbot"),
        ("Analyse des clauses des contrats", "contracts"),
        ("Adverse event intake from emails", "pv"),  # cross-lingual, through the thesaurus
    ],
)
def test_bm25_ranks_the_right_document_first(analyzer: Analyzer, query: str, expected: str) -> None:
    matches = _index(DOCS, analyzer).search(analyzer.terms(query), k=3)
    assert matches[0].doc_id == expected
    assert matches[0].matched_terms
    assert all(0.0 <= m.similarity <= 1.0 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_bm25_empty_and_unknown_queries(analyzer: Analyzer) -> None:
    index = _index(DOCS, analyzer)
    assert index.search([], k=3) == []
    assert index.search(["zzzunknown", "qqq"], k=3) == []
    assert index.search(analyzer.terms("ventes"), k=0) == []
    assert BM25Index().search(["vent"], k=3) == []


def test_bm25_identical_document_has_similarity_one(analyzer: Analyzer) -> None:
    index = _index(DOCS, analyzer)
    best = index.search(analyzer.terms(DOCS["forecast"] + " des fournisseurs"), k=2)
    assert best[0].doc_id == "forecast"
    assert best[0].similarity > 0.8
    assert best[1].similarity < 0.3
    exact = index.search(analyzer.terms(DOCS["pv"]), k=1)[0]
    assert exact.similarity == pytest.approx(1.0)


def test_bm25_explains_with_the_matched_terms(analyzer: Analyzer) -> None:
    index = _index(DOCS, analyzer)
    match = index.search(analyzer.terms("ventes par pays, et météo"), k=1)[0]
    assert set(match.matched_terms) == {"~sales", "pay"}


def test_bm25_removal_and_replacement(analyzer: Analyzer) -> None:
    index = _index(DOCS, analyzer)
    query = analyzer.terms("Prévoir les ventes de chaque pays")
    assert index.remove("forecast") is True
    assert index.remove("forecast") is False
    assert "forecast" not in index
    assert len(index) == 4
    assert all(m.doc_id != "forecast" for m in index.search(query, k=5))
    index.add("cv", analyzer.terms("Prévision des ventes des pharmacies"))  # replaces "cv"
    assert len(index) == 4
    assert index.search(query, k=1)[0].doc_id == "cv"
    assert index.search(analyzer.terms("candidats offres d'emploi"), k=5) == []


def test_bm25_is_deterministic_whatever_the_insertion_order(analyzer: Analyzer) -> None:
    forward = _index(DOCS, analyzer)
    backward = _index(dict(reversed(list(DOCS.items()))), analyzer)
    twins = BM25Index()
    for doc_id in ("b", "a", "c"):  # equal scores: ties broken by id
        twins.add(doc_id, ["vent", "pay"])
    query = analyzer.terms("ventes des pharmacies par pays et candidats")
    assert forward.search(query, k=5) == backward.search(query, k=5)
    assert [m.doc_id for m in twins.search(["vent"], k=3)] == ["a", "b", "c"]


@pytest.mark.parametrize(("k1", "b"), [(-0.1, 0.75), (1.2, 1.5), (1.2, -0.1)])
def test_bm25_rejects_bad_parameters(k1: float, b: float) -> None:
    with pytest.raises(ValueError, match="BM25"):
        BM25Index(k1=k1, b=b)


# --- duplicate finder --------------------------------------------------------------------------


def test_terms_are_deterministic_serialisable_and_weight_the_title(
    finder: DuplicateFinder,
) -> None:
    terms = finder.terms("Prévision des ventes", "Par pays et par mois.")
    assert terms == finder.terms("Prévision des ventes", "Par pays et par mois.")
    assert json.loads(json.dumps(terms)) == terms
    assert terms == ["~forecast", "~sales", "~forecast", "~sales", "pay", "moi"]
    assert DuplicateFinder(title_weight=1).terms("Prévision des ventes") == ["~forecast", "~sales"]
    assert finder.version.endswith("-t2")


def _stored(finder: DuplicateFinder) -> list[tuple[str, list[str]]]:
    return [(doc_id, finder.terms(text)) for doc_id, text in DOCS.items()]


def test_rank_applies_the_threshold(finder: DuplicateFinder) -> None:
    stored = _stored(finder)
    title = "Prévoir les ventes"
    text = "Prévision des ventes de chaque produit par pays, avec les données des fournisseurs."
    default = finder.rank(title, text, stored)
    assert [m.doc_id for m in default] == ["forecast"]
    assert default[0].similarity >= DEFAULT_THRESHOLD
    everything = finder.rank(title, text, stored, k=5, threshold=0.0)
    assert len(everything) > 1
    assert finder.rank(title, text, stored, threshold=1.0) == []
    assert finder.rank(title, text, finder.index(stored)) == default  # a kept index


def test_one_shared_word_is_not_a_duplicate(finder: DuplicateFinder) -> None:
    stored = [("restaurant", finder.terms("Réduction du gaspillage au restaurant"))]
    idea = ("Places libres au restaurant", "Afficher le nombre de places assises disponibles.")
    assert finder.rank(*idea, stored, threshold=0.0)
    assert finder.rank(*idea, stored, threshold=0.01) == []
    # an idea of a single term needs only that one
    assert finder.rank("restaurant", "", stored, threshold=0.01)


def test_no_suggestion_for_an_unrelated_idea(finder: DuplicateFinder) -> None:
    assert finder.rank("Tournoi de football", "Former des équipes.", _stored(finder)) == []
    assert finder.rank("", "", _stored(finder)) == []


@pytest.mark.parametrize("threshold", [-0.1, 1.1])
def test_rank_rejects_a_bad_threshold(finder: DuplicateFinder, threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        finder.rank("Prévision des ventes", "", _stored(finder), threshold=threshold)
    with pytest.raises(ValueError, match="threshold"):
        DuplicateFinder(finder.analyzer, threshold=threshold)


def test_bad_title_weight() -> None:
    with pytest.raises(ValueError, match="title_weight"):
        DuplicateFinder(title_weight=0)


# --- the benchmark's data set ------------------------------------------------------------------


def test_dataset_shape() -> None:
    pairs, ideas = _load("use_case_paraphrases.jsonl"), _load("unrelated_ideas.jsonl")
    langs = [pair["lang"] for pair in pairs]
    assert len(pairs) >= 200
    assert langs.count("fr") >= 100
    assert langs.count("en") >= 100
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    assert len(ideas) >= 100
    assert {idea["lang"] for idea in ideas} == {"fr", "en"}
    for pair in pairs:
        assert pair["source"]
        assert pair["original"]["title"] != pair["paraphrase"]["title"]
        assert pair["original"]["text"] != pair["paraphrase"]["text"]


def test_recall_on_a_sample_of_paraphrase_pairs(finder: DuplicateFinder) -> None:
    """Every pair's original sits in the registry; every fifth paraphrase is a query."""
    pairs = _load("use_case_paraphrases.jsonl")
    index = finder.index(
        (pair["id"], finder.terms(pair["original"]["title"], pair["original"]["text"]))
        for pair in pairs
    )
    sample = pairs[::5]
    found = 0
    for pair in sample:
        query = pair["paraphrase"]
        top3 = finder.rank(query["title"], query["text"], index, k=3, threshold=0.0)
        found += pair["id"] in [match.doc_id for match in top3]
    assert found / len(sample) >= 0.8
