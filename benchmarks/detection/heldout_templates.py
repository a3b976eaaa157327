"""Heldout split templates: other document types, other phrasing and structure than dev.

Only the evaluation looks at this file and at the texts made from it; the detector engineer
never does. Names come from ``people.HELDOUT_LOCALES`` only.
"""

# ruff: noqa: E501, N817 -- templates are data: one template per line reads best

from __future__ import annotations

from benchmarks.detection.render import Template as T

FR = (
    T(
        "fiche_contact",
        "FICHE CONTACT\nNom : {lastfirst}\nSociété : {company}\nCourriel : {email}\nLigne directe : {phone_nat}\nPortable : {phone_intl}\nDernier échange : {date}",
    ),
    T(
        "messagerie",
        "Message vocal reçu à {time} : « Oui bonjour, c'est {full} de chez {company}, vous pouvez me rappeler au {phone} ? Merci. »",
    ),
    T(
        "ticket_support",
        "[{ticket}] Ouvert par {email} — l'utilisateur {full} n'arrive plus à se connecter depuis {city}. Escalade vers {initial}.",
    ),
    T(
        "virement",
        "Ordre de virement\nBénéficiaire : {caps}\nIBAN : {iban}\nMontant : {amount}\nMotif : {order}",
    ),
    T(
        "kbis",
        "Extrait : la société {company} Distribution, SIREN {siren}, établissement principal SIRET {siret}, représentée par {title_full}.",
    ),
    T(
        "attestation",
        "Je soussigné(e) {title_full}, atteste que {full} (n° SS {nir}) a suivi la formation {code} du {date}.",
    ),
    T(
        "essai_deviation",
        "Déviation majeure {study} : la patiente de {title} a reçu {dose} de {drug} au lieu du placebo. Merci d'informer {full}.",
    ),
    T(
        "passation",
        "Pendant mon absence, merci de contacter {full#1} ({email#1}, {phone}). {last#1} a accès au dossier {code}.",
    ),
    T(
        "liste_puces",
        "Participants à l'audit :\n- {full}, {dept}\n- {initial}, {company}\n- {title} ({city})",
    ),
    T(
        "paiement_carte",
        "Réservation {order} : acompte de {amount} débité sur la carte n° {card}, titulaire {full}.",
    ),
    T(
        "remerciements",
        "Un grand merci à {first} et à {full} pour leur aide sur le dossier {product} !",
    ),
    T(
        "lettre_relance",
        "{city}, le {date}\n\n{title_full}\n{company}\n\nObjet : relance facture {order}\n\nSauf erreur de notre part, le règlement de {amount} n'a pas été reçu sur le compte {iban}.",
    ),
    T(
        "mutuelle",
        "Adhésion mutuelle : assuré {lastfirst}, NIR {nir}, conjoint {full}, RIB {iban}.",
    ),
    T(
        "possessif",
        "D'après {full}, l'avis de {title} sur {drug} reste favorable ; {first} complétera le rapport.",
    ),
    T(
        "sirene_liste",
        "Établissements à auditer : SIRET {siret} ; SIRET {siret} ; siège SIREN {siren}.",
    ),
    T(
        "neg_planning",
        "Planning {month} : revue qualité le {date} à {time}, {dept}, produit {code}, lot {batch}, {count} échantillons.",
    ),
    T(
        "neg_marche",
        "Le marché de {drug} à {city} a progressé de {pct} en {month} ; {company} vise {amount} de chiffre d'affaires.",
    ),
    T(
        "neg_refs",
        "Numéros à ne pas confondre : dossier {bad_nir}, contrat {bad_iban}, commande {order}, carte fidélité {bad_card}.",
    ),
    T(
        "neg_maladie",
        "Webinaire sur {disease} et {disease} le {date} : inscription via l'étude {study}.",
    ),
)

EN = (
    T(
        "contact_card",
        "CONTACT RECORD\nName: {lastfirst}\nCompany: {company}\nE-mail: {email}\nDirect line: {phone_nat}\nMobile: {phone_intl}\nLast contact: {date}",
    ),
    T(
        "voicemail",
        'Voicemail at {time}: "Hi, it\'s {full} from {company}, could you give me a call back on {phone}? Thanks."',
    ),
    T(
        "helpdesk",
        "[{ticket}] Raised by {email} — user {full} cannot log in from {city}. Escalated to {initial}.",
    ),
    T(
        "transfer",
        "Payment order\nPayee: {caps}\nIBAN: {iban}\nAmount: {amount}\nReference: {order}",
    ),
    T(
        "registry_extract",
        "Extract: {company} Distribution SAS, SIREN {siren}, head office SIRET {siret}, represented by {title_full}.",
    ),
    T(
        "certificate",
        "I, {title_full}, certify that {full} (French social security no. {nir}) completed training {code} on {date}.",
    ),
    T(
        "deviation",
        "Major deviation {study}: {title}'s patient received {dose} of {drug} instead of placebo. Please inform {full}.",
    ),
    T(
        "out_of_office",
        "While I am away, please contact {full#1} ({email#1}, {phone}). {last#1} has access to file {code}.",
    ),
    T(
        "bullets",
        "Audit participants:\n- {full}, {dept}\n- {initial}, {company}\n- {title} ({city})",
    ),
    T(
        "card_payment",
        "Booking {order}: deposit of {amount} charged to card no. {card}, cardholder {full}.",
    ),
    T("thanks", "Huge thanks to {first} and {full} for their help on the {product} file!"),
    T(
        "reminder_letter",
        "{city}, {date}\n\n{title_full}\n{company}\n\nRe: overdue invoice {order}\n\nOur records show that the payment of {amount} has not reached account {iban}.",
    ),
    T(
        "possessive",
        "According to {full}, {title}'s view on {drug} remains positive; {first} will complete the report.",
    ),
    T("phone_list", "On-call rota: {first} {phone}, {first} {phone}, {first} {phone}."),
    T("card_chat", "can you put the {amount} on my card? it's {card}, exp 09/27. thanks, {first}"),
    T(
        "neg_schedule",
        "{month} plan: quality review on {date} at {time}, {dept}, product {code}, batch {batch}, {count} samples.",
    ),
    T(
        "neg_market",
        "Sales of {drug} in {city} grew {pct} in {month}; {company} targets {amount} in revenue.",
    ),
    T(
        "neg_refs",
        "Numbers not to confuse: file {bad_nir}, contract {bad_iban}, order {order}, loyalty card {bad_card}.",
    ),
    T(
        "neg_disease",
        "Webinar on {disease} and {disease} on {date}: register through study {study}.",
    ),
)

DE = (
    T(
        "kontaktblatt",
        "KONTAKTDATEN\nName: {lastfirst}\nFirma: {company}\nE-Mail: {email}\nDurchwahl: {phone_nat}\nHandy: {phone_intl}\nLetzter Kontakt: {date}",
    ),
    T(
        "mailbox",
        "Sprachnachricht um {time}: „Guten Tag, hier ist {full} von {company}, rufen Sie mich bitte unter {phone} zurück. Danke.“",
    ),
    T(
        "helpdesk",
        "[{ticket}] Erstellt von {email} — Benutzer {full} kann sich in {city} nicht anmelden. Weitergeleitet an {initial}.",
    ),
    T(
        "ueberweisung",
        "Überweisungsauftrag\nEmpfänger: {caps}\nIBAN: {iban}\nBetrag: {amount}\nVerwendungszweck: {order}",
    ),
    T(
        "registerauszug",
        "Auszug: {company} Distribution SAS, SIREN {siren}, Hauptsitz SIRET {siret}, vertreten durch {title_full}.",
    ),
    T(
        "bescheinigung",
        "Hiermit bestätigt {title_full}, dass {full} (frz. Sozialversicherungsnr. {nir}) die Schulung {code} am {date} abgeschlossen hat.",
    ),
    T(
        "abweichung",
        "Schwere Abweichung {study}: die Patientin von {title} erhielt {dose} {drug} statt Placebo. Bitte {full} informieren.",
    ),
    T(
        "abwesenheit",
        "Während meiner Abwesenheit wenden Sie sich bitte an {full#1} ({email#1}, {phone}). {last#1} hat Zugriff auf Vorgang {code}.",
    ),
    T(
        "aufzaehlung",
        "Teilnehmende am Audit:\n- {full}, {dept}\n- {initial}, {company}\n- {title} ({city})",
    ),
    T(
        "kartenzahlung",
        "Buchung {order}: Anzahlung von {amount} belastet auf Karte Nr. {card}, Karteninhaber {full}.",
    ),
    T("dank", "Ein großes Dankeschön an {first} und {full} für die Hilfe beim Projekt {product}!"),
    T(
        "mahnung",
        "{city}, {date}\n\n{title_full}\n{company}\n\nBetreff: Zahlungserinnerung {order}\n\nDie Zahlung über {amount} ist auf dem Konto {iban} bisher nicht eingegangen.",
    ),
    T(
        "meinung",
        "Laut {full} bleibt die Einschätzung von {title} zu {drug} positiv; {first} ergänzt den Bericht.",
    ),
    T("rufbereitschaft", "Rufbereitschaft: {first} {phone}, {first} {phone}, {first} {phone}."),
    T(
        "neg_planung",
        "Planung {month}: Qualitätsprüfung am {date} um {time}, {dept}, Artikel {code}, Charge {batch}, {count} Proben.",
    ),
    T(
        "neg_markt",
        "Der Umsatz mit {drug} in {city} stieg im {month} um {pct}; {company} plant {amount} Umsatz.",
    ),
    T(
        "neg_nummern",
        "Nicht verwechseln: Akte {bad_nir}, Vertrag {bad_iban}, Bestellung {order}, Kundenkarte {bad_card}.",
    ),
    T(
        "neg_krankheit",
        "Webinar zu {disease} und {disease} am {date}: Anmeldung über Studie {study}.",
    ),
)

TEMPLATES: dict[str, tuple[T, ...]] = {"fr": FR, "en": EN, "de": DE}
