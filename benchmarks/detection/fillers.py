"""Context that must NOT be detected: places, companies, drugs, eponymous diseases, months,
dates, amounts, order and product codes, and number look-alikes that fail their checksum.

Each filler is a function ``(rng, language) -> str``; templates name them in braces
(``{city}``, ``{bad_iban}``). Nothing a filler returns is a gold entity.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from benchmarks.detection import identifiers

Filler = Callable[[random.Random, str], str]

_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "city": {
        "fr": ("Paris", "Lyon", "Lille", "Marseille", "Bordeaux", "Nantes", "Strasbourg",
               "Toulouse", "Rennes", "Montpellier", "Bâle", "Genève", "Bruxelles", "Ajaccio"),
        "en": ("London", "Manchester", "Boston", "Dublin", "Cambridge", "Chicago", "Oxford",
               "Edinburgh", "New Jersey", "San Diego", "Basel", "Reading"),
        "de": ("Berlin", "München", "Hamburg", "Frankfurt", "Köln", "Wien", "Zürich", "Basel",
               "Leverkusen", "Darmstadt", "Ingelheim", "Stuttgart", "Graz"),
    },
    "company": {
        "fr": ("Sanofi", "Servier", "Ipsen", "Janssen", "Roche", "Pierre Fabre", "Biogaran",
               "Novartis", "Boiron", "Guerbet", "Stallergenes", "Laboratoires Expanscience"),
        "en": ("Pfizer", "AstraZeneca", "GSK", "Janssen", "Merck", "Eli Lilly", "Moderna",
               "Bristol Myers Squibb", "Johnson & Johnson", "Abbott", "Gilead", "Amgen"),
        "de": ("Bayer", "Boehringer Ingelheim", "Merck", "Fresenius", "Siemens Healthineers",
               "Roche", "Novartis", "Janssen", "Stada", "Grünenthal", "Sartorius"),
    },
    "drug": {
        "fr": ("Doliprane", "Dafalgan", "Lévothyrox", "Kardegic", "Xarelto", "Eliquis",
               "Dupixent", "Keytruda", "Humira", "Aerius", "Spasfon", "Plavix"),
        "en": ("Lipitor", "Humira", "Keytruda", "Ozempic", "Eliquis", "Xarelto", "Dupixent",
               "Januvia", "Herceptin", "Stelara", "Paxlovid", "Trulicity"),
        "de": ("Aspirin", "Ibuprofen", "Xarelto", "Eliquis", "Humira", "Keytruda", "Voltaren",
               "Novalgin", "Pantoprazol", "Ramipril", "Jardiance", "Dupixent"),
    },
    "disease": {
        "fr": ("la maladie de Parkinson", "la maladie d'Alzheimer", "la maladie de Crohn",
               "le syndrome de Down", "la maladie de Basedow", "la maladie de Hodgkin"),
        "en": ("Parkinson's disease", "Alzheimer's disease", "Crohn's disease",
               "Hodgkin lymphoma", "Graves' disease", "Sjögren's syndrome"),
        "de": ("Morbus Parkinson", "Alzheimer-Krankheit", "Morbus Crohn", "Morbus Basedow",
               "Hodgkin-Lymphom", "Sjögren-Syndrom"),
    },
    "month": {
        "fr": ("janvier", "mars", "Avril", "Mai", "juin", "juillet", "Août", "septembre",
               "Octobre", "novembre", "Décembre"),
        "en": ("January", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December"),
        "de": ("Januar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
               "Oktober", "November", "Dezember"),
    },
    "role": {
        "fr": ("Monsieur le Directeur", "Madame la Présidente", "Cher Client",
               "Madame, Monsieur", "Monsieur le Pharmacien", "Chère Consœur"),
        "en": ("Dear Sir or Madam", "Dear Customer", "Dear Hiring Manager",
               "To whom it may concern", "Dear Colleagues", "Dear Investigator"),
        "de": ("Sehr geehrte Damen und Herren", "Liebe Kolleginnen und Kollegen",
               "Sehr geehrter Herr Direktor", "Liebe Kundin, lieber Kunde", "Hallo Team"),
    },
    "dept": {
        "fr": ("Affaires Réglementaires", "Pharmacovigilance", "Ressources Humaines",
               "Assurance Qualité", "Direction Médicale", "Supply Chain", "Accès au Marché"),
        "en": ("Regulatory Affairs", "Drug Safety", "Human Resources", "Quality Assurance",
               "Medical Affairs", "Supply Chain", "Market Access"),
        "de": ("Zulassung", "Arzneimittelsicherheit", "Personalabteilung", "Qualitätssicherung",
               "Medizinische Abteilung", "Einkauf", "Marktzugang"),
    },
    "venue": {  # capitalised multi-word places and institutions: never names
        "fr": ("Palais des Congrès", "Hôtel Mercure Centre", "Centre Hospitalier Sud",
               "Campus Saint-Exupéry", "Salon Pharmagora", "Espace Grande Arche",
               "Hôpital Européen", "Maison de la Chimie"),
        "en": ("Royal Free Hospital", "ExCeL Centre", "Grand Hyatt", "Wellcome Campus",
               "Mayo Clinic", "Science Park", "Queen Elizabeth Hall", "Riverside Centre"),
        "de": ("Messe Frankfurt", "Hotel Adlon", "Charité Campus Mitte", "Klinikum Nord",
               "Haus der Wirtschaft", "Congress Center Leipzig", "Alte Oper",
               "Universitätsklinikum Eppendorf"),
    },
    "product": {
        "fr": ("Cardiovex", "Dermalis", "Neurotab", "Pédiaprim", "Oncovia", "Glycemia Plus"),
        "en": ("Cardiovex", "Respira XR", "Neurotab", "OncoVia", "Glycemia Plus", "Dermalis"),
        "de": ("Cardiovex", "Neurotab", "Dermalis", "OncoVia", "Glycemia Plus", "Respira XR"),
    },
}  # fmt: skip


def _word(kind: str) -> Filler:
    def pick(rng: random.Random, language: str) -> str:
        return rng.choice(_WORDS[kind][language])

    return pick


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def _date(rng: random.Random, language: str) -> str:
    day, month, year = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(2019, 2027)
    months = _WORDS["month"][language]
    name = months[month % len(months)]
    formats = {
        "fr": (f"{day:02d}/{month:02d}/{year}", f"{day} {name.lower()} {year}"),
        "en": (
            f"{day:02d}/{month:02d}/{year}",
            f"{name} {day}, {year}",
            f"{year}-{month:02d}-{day:02d}",
        ),
        "de": (f"{day:02d}.{month:02d}.{year}", f"{day}. {name} {year}"),
    }
    return rng.choice(formats[language])


def _amount(rng: random.Random, language: str) -> str:
    value = rng.randrange(100, 2_000_000) / 100
    if language == "en":
        return rng.choice((f"€{value:,.2f}", f"£{value:,.2f}", f"${value:,.0f}"))
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return rng.choice((f"{text} €", f"{text} EUR", f"EUR {text}"))


def _order(rng: random.Random, language: str) -> str:
    year = rng.randrange(2020, 2027)
    return rng.choice(
        (
            f"CMD-{year}-{rng.randrange(1, 99999):05d}",
            f"PO {identifiers.bad_number(rng, 10)}",
            f"INV/{year}/{rng.randrange(1, 9999):04d}",
            f"{identifiers.bad_number(rng, 8)}",
            f"SO-{identifiers.bad_number(rng, 7)}",
        )
    )


def _code(rng: random.Random, language: str) -> str:
    letters = _letters(rng, rng.randrange(2, 4))
    return rng.choice(
        (
            f"{letters}-{rng.randrange(100, 9999)}",
            f"EAN {identifiers.bad_number(rng, 13)}",
            f"{'réf.' if language == 'fr' else 'ref'} {letters}{rng.randrange(1000, 99999)}",
            f"CIP {identifiers.bad_number(rng, 13)}",
            f"{letters}{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}-{rng.randrange(10, 99)}",
        )
    )


def _study(rng: random.Random, language: str) -> str:
    return rng.choice(
        (
            f"NCT{rng.randrange(0, 10**8):08d}",
            f"EudraCT {rng.randrange(2015, 2026)}-{rng.randrange(0, 10**6):06d}-"
            f"{rng.randrange(10, 99)}",
            f"PRJ-{rng.randrange(100, 999)}",
            f"{_letters(rng, 3)}{rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}",
        )
    )


def _batch(rng: random.Random, language: str) -> str:
    return f"{rng.choice(('L', 'B', 'LOT'))}{rng.randrange(10000, 999999)}{_letters(rng, 1)}"


def _dose(rng: random.Random, language: str) -> str:
    unit = rng.choice(("mg", "µg", "ml", "mg/kg", "UI"))
    return f"{rng.choice((5, 10, 20, 40, 50, 100, 250, 500, 1000))} {unit}"


def _time(rng: random.Random, language: str) -> str:
    hour, minute = rng.randrange(7, 20), rng.choice((0, 15, 30, 45))
    if language == "fr":
        return f"{hour}h{minute:02d}"
    return f"{hour}:{minute:02d}" + (" Uhr" if language == "de" else "")


def _ticket(rng: random.Random, language: str) -> str:
    return rng.choice(
        (
            f"INC{rng.randrange(0, 10**7):07d}",
            f"CHG{rng.randrange(0, 10**6):06d}",
            f"JIRA-{rng.randrange(100, 9999)}",
        )
    )


def _count(rng: random.Random, language: str) -> str:
    return str(rng.randrange(2, 480))


def _pct(rng: random.Random, language: str) -> str:
    value = rng.randrange(1, 999) / 10
    return f"{value:.1f} %".replace(".", ",") if language != "en" else f"{value:.1f}%"


def _bad(make: Callable[[random.Random], str]) -> Filler:
    def fill(rng: random.Random, language: str) -> str:
        return make(rng)

    return fill


FILLERS: dict[str, Filler] = {
    **{kind: _word(kind) for kind in _WORDS},
    "date": _date,
    "amount": _amount,
    "order": _order,
    "code": _code,
    "study": _study,
    "batch": _batch,
    "dose": _dose,
    "time": _time,
    "ticket": _ticket,
    "count": _count,
    "pct": _pct,
    "bad_iban": _bad(identifiers.bad_iban),
    "bad_card": _bad(identifiers.bad_card),
    "bad_nir": _bad(identifiers.bad_nir),
    "bad_siren": _bad(identifiers.bad_siren),
    "bad_siret": _bad(identifiers.bad_siret),
}
