"""Dev split templates: the phrasing the detector engineer may look at and tune on.

Names come from ``people.DEV_LOCALES``. Negative templates (``neg_*``) have no entity slot.
"""

# ruff: noqa: E501, N817 -- templates are data: one template per line reads best

from __future__ import annotations

from benchmarks.detection.render import Template as T

FR = (
    T(
        "email_rdv",
        "Bonjour {first#1},\n\nSuite à notre échange du {date}, je vous confirme le rendez-vous à {city} à {time}. "
        "Vous pouvez me joindre au {phone} ou par mail à {email#2}.\n\nBien cordialement,\n{full#2}\n{dept} — {company}",
    ),
    T(
        "email_signature_caps",
        "{role},\n\nVeuillez trouver ci-joint le compte rendu de la réunion du {date}.\n\nCordialement,\n\n{caps}\n{dept}\nTél. : {phone_nat}\nMobile : {phone_intl}",
    ),
    T(
        "crm_note",
        "Appel de {title} ce matin : il souhaite un devis pour {count} boîtes de {product}. Rappeler au {phone} avant le {date}.",
    ),
    T(
        "crm_note_short",
        "RDV {full} ({company}) — intéressée par {product}, relancer le {date}. Contact : {email}.",
    ),
    T(
        "meeting_notes",
        "Compte rendu — comité de pilotage du {date}\nPrésents : {full}, {initial}, {title_full} et {full}.\n"
        "Décision : lancement de l'étude {study} à {city}. Action : {full#1} envoie le planning.",
    ),
    T(
        "meeting_action",
        "{name} présente les résultats du lot {batch} ; {name} demande une analyse complémentaire avant {month}.",
    ),
    T(
        "pv_case",
        "Cas de pharmacovigilance : patiente traitée par {drug} {dose}, suivie par le {title} à {city}. "
        "Déclarant : {full}, tél. {phone}. N° de sécurité sociale : {nir}.",
    ),
    T(
        "pv_nir_compact",
        "Merci de mettre à jour le dossier de {lastfirst} (NIR {nir}) : effet indésirable signalé le {date} sous {drug}.",
    ),
    T(
        "hr_note",
        "Note RH — entretien annuel de {full#1} le {date}. {first#1} souhaite évoluer vers le service {dept}. "
        "Coordonnées bancaires pour le remboursement des frais : {iban}.",
    ),
    T(
        "hr_contract",
        "Contrat de {title_full}, né(e) le {date}, numéro de sécurité sociale {nir}, domicilié(e) à {city}. "
        "Salaire versé sur le compte {iban}.",
    ),
    T(
        "supplier",
        "Fournisseur : {company} — SIREN {siren}, SIRET {siret}. Interlocuteur : {name} ({email}). Commande {order} de {amount}.",
    ),
    T(
        "invoice",
        "Facture {order} du {date} : montant {amount} à régler par virement sur l'IBAN {iban} (titulaire : {caps}).",
    ),
    T(
        "siret_only",
        "Merci de vérifier le SIRET {siret} de notre nouveau prestataire à {city} avant le {date}.",
    ),
    T(
        "siren_only",
        "La société immatriculée sous le numéro SIREN {siren} a été retenue pour l'appel d'offres {code}.",
    ),
    T(
        "card_refund",
        "Le client {full} demande le remboursement de {amount} sur sa carte {card} (commande {order}).",
    ),
    T(
        "card_phone",
        "Paiement refusé pour la carte {card}. Merci de rappeler {title} au {phone_nat}.",
    ),
    T(
        "clinical_ops",
        "Site {count} ({city}) : l'investigateur {title_full} signale un écart au protocole {study}. "
        "ARC en charge : {name}, {email}, {phone_intl}.",
    ),
    T(
        "clinical_visit",
        "{first} confirme la visite de monitoring du {date} ; {initial} sera présent. Patients inclus : {count}.",
    ),
    T(
        "teams_chat",
        "@{first} tu peux appeler {full} au {phone} ? il attend le retour sur {product} depuis {month}",
    ),
    T(
        "forward",
        "De : {full#1} <{email#1}>\nÀ : {email}\nObjet : RE: {product} — lot {batch}\n\n{first#1} a validé la libération du lot.",
    ),
    T(
        "sentence_start",
        "{full#1} rejoint l'équipe {dept} le {date}. {first#1} travaillait auparavant chez {company} à {city}.",
    ),
    T("particle_list", "Liste de diffusion : {full}, {full}, {full}, {full}."),
    T("expense", "Note de frais de {name} : {amount} (déplacement à {city}), virement sur {iban}."),
    T(
        "neg_study",
        "Le comité a validé l'étude {study} pour {disease} : {count} patients, dose de {dose}, début en {month} à {city}.",
    ),
    T(
        "neg_order",
        "La commande {order} du {date} ({amount}) concerne le produit {code} ; livraison prévue à {time} chez {company}.",
    ),
    T(
        "neg_lookalikes",
        "Réf. dossier {bad_siret} — code interne {bad_siren}, ancien compte {bad_iban} (clôturé, invalide).",
    ),
    T(
        "neg_letter",
        "{role},\n\nNous vous informons que {drug} sera disponible en {month} auprès de {company} à {city}. Prix : {amount}.",
    ),
    T(
        "neg_numbers",
        "Ticket {ticket} : le lot {batch} ({code}) présente un écart de {pct} ; numéro de série {bad_card}.",
    ),
    T(
        "neg_nir_like",
        "Identifiant patient pseudonymisé {bad_nir}, inclus le {date}, traitement {drug} {dose}.",
    ),
    T(
        "neg_places",
        "Réunion {dept} à {city} le {date} : bilan {product}, {company} et {company} présents.",
    ),
)

EN = (
    T(
        "email_followup",
        "Hi {first#1},\n\nThanks for your time on {date}. As discussed, please call me on {phone} or write to {email#2}.\n\nBest regards,\n{full#2}\n{dept}, {company}",
    ),
    T(
        "email_caps_sig",
        "{role},\n\nPlease find attached the minutes of the {date} meeting.\n\nKind regards,\n\n{caps}\n{dept}\nT: {phone_nat}\nM: {phone_intl}",
    ),
    T(
        "crm_call",
        "Call with {title} this morning: wants a quote for {count} packs of {product}. Call back on {phone} before {date}.",
    ),
    T(
        "crm_short",
        "Met {full} ({company}) — interested in {product}, follow up on {date}. Contact: {email}.",
    ),
    T(
        "minutes",
        "Minutes — steering committee, {date}\nAttendees: {full}, {initial}, {title_full} and {full}.\n"
        "Decision: start study {study} in {city}. Action: {full#1} to circulate the timeline.",
    ),
    T(
        "minutes_action",
        "{name} presented the results for batch {batch}; {name} asked for further analysis before {month}.",
    ),
    T(
        "safety_case",
        "Adverse event report: female patient on {drug} {dose}, under the care of {title} in {city}. "
        "Reporter: {full}, phone {phone}.",
    ),
    T(
        "hr_review",
        "HR note — annual review of {full#1} on {date}. {first#1} would like to move to {dept}. "
        "Bank details for expense refunds: {iban}.",
    ),
    T(
        "hr_payroll",
        "Payroll change for {lastfirst}: salary to be paid into account {iban} from {month}.",
    ),
    T(
        "vendor",
        "Vendor onboarding: {company} France, SIREN {siren}, SIRET {siret}. Contact: {name} ({email}). PO {order}, {amount}.",
    ),
    T(
        "invoice",
        "Invoice {order} dated {date}: {amount} payable by bank transfer to IBAN {iban} (account holder: {caps}).",
    ),
    T("siret_check", "Please verify SIRET {siret} for our new supplier in {city} before {date}."),
    T(
        "card_refund",
        "Customer {full} is asking for a refund of {amount} to card {card} (order {order}).",
    ),
    T("card_declined", "Card {card} was declined. Please call {title} back on {phone_nat}."),
    T(
        "trial_site",
        "Site {count} ({city}): investigator {title_full} reports a protocol deviation on {study}. "
        "CRA in charge: {name}, {email}, {phone_intl}.",
    ),
    T(
        "monitoring",
        "{first} confirmed the monitoring visit on {date}; {initial} will attend. Patients enrolled: {count}.",
    ),
    T(
        "slack",
        "@{first} can you ring {full} on {phone}? they've been waiting on {product} since {month}",
    ),
    T(
        "forward",
        "From: {full#1} <{email#1}>\nTo: {email}\nSubject: RE: {product} — batch {batch}\n\n{first#1} has approved the batch release.",
    ),
    T(
        "sentence_start",
        "{full#1} joins the {dept} team on {date}. {first#1} previously worked at {company} in {city}.",
    ),
    T("distribution", "Distribution list: {full}, {full}, {full}, {full}."),
    T(
        "nir_expat",
        "Our French employee {full} (NIR {nir}) is relocating to {city}; payroll to use IBAN {iban}.",
    ),
    T("expenses", "Expense claim from {name}: {amount} (trip to {city}), reimburse to {iban}."),
    T(
        "neg_study",
        "The committee approved study {study} in {disease}: {count} patients, {dose} dose, starting {month} in {city}.",
    ),
    T(
        "neg_order",
        "Order {order} of {date} ({amount}) covers product {code}; delivery at {time} at {company}.",
    ),
    T(
        "neg_lookalikes",
        "Case ref {bad_siret} — internal code {bad_siren}, old account {bad_iban} (closed, invalid).",
    ),
    T(
        "neg_letter",
        "{role},\n\n{drug} will be available from {month} through {company} in {city}. Price: {amount}.",
    ),
    T(
        "neg_numbers",
        "Ticket {ticket}: batch {batch} ({code}) shows a {pct} deviation; serial number {bad_card}.",
    ),
    T(
        "neg_id_like",
        "Pseudonymised subject ID {bad_nir}, enrolled on {date}, treatment {drug} {dose}.",
    ),
    T(
        "neg_places",
        "{dept} meeting in {city} on {date}: {product} review, {company} and {company} attending.",
    ),
)

DE = (
    T(
        "email_termin",
        "Hallo {first#1},\n\nvielen Dank für das Gespräch am {date}. Sie erreichen mich unter {phone} oder per E-Mail an {email#2}.\n\nMit freundlichen Grüßen\n{full#2}\n{dept}, {company}",
    ),
    T(
        "email_caps_sig",
        "{role},\n\nanbei das Protokoll der Sitzung vom {date}.\n\nViele Grüße\n\n{caps}\n{dept}\nTel.: {phone_nat}\nMobil: {phone_intl}",
    ),
    T(
        "crm_anruf",
        "Anruf von {title} heute Morgen: wünscht ein Angebot über {count} Packungen {product}. Rückruf unter {phone} bis {date}.",
    ),
    T(
        "crm_kurz",
        "Termin mit {full} ({company}) — Interesse an {product}, Wiedervorlage am {date}. Kontakt: {email}.",
    ),
    T(
        "protokoll",
        "Protokoll — Lenkungsausschuss vom {date}\nTeilnehmende: {full}, {initial}, {title_full} und {full}.\n"
        "Beschluss: Start der Studie {study} in {city}. Aufgabe: {full#1} verschickt den Zeitplan.",
    ),
    T(
        "protokoll_aufgabe",
        "{name} stellt die Ergebnisse der Charge {batch} vor; {name} bittet um eine weitere Analyse vor {month}.",
    ),
    T(
        "pv_fall",
        "Verdachtsfall einer Nebenwirkung: Patientin unter {drug} {dose}, behandelt von {title} in {city}. "
        "Meldende Person: {full}, Tel. {phone}.",
    ),
    T(
        "personal",
        "Personalnotiz — Jahresgespräch mit {full#1} am {date}. {first#1} möchte in die {dept} wechseln. "
        "Bankverbindung für Reisekosten: {iban}.",
    ),
    T("gehalt", "Gehaltsänderung für {lastfirst}: Überweisung ab {month} auf das Konto {iban}."),
    T(
        "lieferant",
        "Lieferantenanlage: {company} France, SIREN {siren}, SIRET {siret}. Ansprechpartner: {name} ({email}). Bestellung {order}, {amount}.",
    ),
    T(
        "rechnung",
        "Rechnung {order} vom {date}: {amount} zahlbar per Überweisung an IBAN {iban} (Kontoinhaber: {caps}).",
    ),
    T(
        "siret_pruefung",
        "Bitte die SIRET {siret} unseres neuen Dienstleisters in {city} vor dem {date} prüfen.",
    ),
    T(
        "karte_erstattung",
        "Kunde {full} bittet um Erstattung von {amount} auf die Karte {card} (Bestellung {order}).",
    ),
    T(
        "karte_abgelehnt",
        "Die Karte {card} wurde abgelehnt. Bitte {title} unter {phone_nat} zurückrufen.",
    ),
    T(
        "studienzentrum",
        "Zentrum {count} ({city}): Prüfarzt {title_full} meldet eine Protokollabweichung in {study}. "
        "Zuständige CRA: {name}, {email}, {phone_intl}.",
    ),
    T(
        "monitoring",
        "{first} bestätigt den Monitoring-Besuch am {date}; {initial} ist dabei. Eingeschlossene Patienten: {count}.",
    ),
    T("chat", "@{first} kannst du {full} unter {phone} anrufen? wartet seit {month} auf {product}"),
    T(
        "weiterleitung",
        "Von: {full#1} <{email#1}>\nAn: {email}\nBetreff: AW: {product} — Charge {batch}\n\n{first#1} hat die Chargenfreigabe erteilt.",
    ),
    T(
        "satzanfang",
        "{full#1} verstärkt ab dem {date} das Team {dept}. {first#1} war zuvor bei {company} in {city} tätig.",
    ),
    T("verteiler", "Verteiler: {full}, {full}, {full}, {full}."),
    T(
        "nir_entsandt",
        "Unser französischer Mitarbeiter {full} (NIR {nir}) wechselt nach {city}; Gehalt auf IBAN {iban}.",
    ),
    T(
        "spesen",
        "Spesenabrechnung von {name}: {amount} (Reise nach {city}), Erstattung auf {iban}.",
    ),
    T(
        "neg_studie",
        "Der Ausschuss hat die Studie {study} zu {disease} genehmigt: {count} Patienten, Dosis {dose}, Start im {month} in {city}.",
    ),
    T(
        "neg_bestellung",
        "Bestellung {order} vom {date} ({amount}) betrifft Artikel {code}; Lieferung um {time} bei {company}.",
    ),
    T(
        "neg_aehnlich",
        "Vorgang {bad_siret} — interner Code {bad_siren}, altes Konto {bad_iban} (aufgelöst, ungültig).",
    ),
    T(
        "neg_brief",
        "{role},\n\n{drug} ist ab {month} über {company} in {city} erhältlich. Preis: {amount}.",
    ),
    T(
        "neg_zahlen",
        "Ticket {ticket}: Charge {batch} ({code}) zeigt eine Abweichung von {pct}; Seriennummer {bad_card}.",
    ),
    T(
        "neg_id",
        "Pseudonymisierte Probanden-ID {bad_nir}, eingeschlossen am {date}, Behandlung {drug} {dose}.",
    ),
    T(
        "neg_orte",
        "Sitzung {dept} in {city} am {date}: Bilanz {product}, {company} und {company} anwesend.",
    ),
)

# Harder phrasing: names announced by roles, verbs and list structure rather than greetings
# or titles, mentioned again by surname, beside capitalised venues and companies.
FR_CUES = (
    T(
        "appositive_role",
        "{full#1}, directrice financière chez {company}, a validé le budget {study}. Merci de mettre {title#1} en copie.",
    ),
    T(
        "presented_by",
        "Présentation de {product} au {venue} le {date}, présentée par {full} et animée par {full}.",
    ),
    T(
        "phone_log",
        "J'ai eu {full} au téléphone ce matin ; elle rappellera {full} demain.\ncc {full}",
    ),
    T(
        "ticket",
        "Demande {ticket} ouverte par {full} ({email}) : accès refusé à {product}. Assignée à {name}.",
    ),
    T(
        "bullets",
        "Participants :\n- {full} ({company})\n- {lastfirst}\n- {title_full}\nLieu : {venue}, {city}.",
    ),
    T(
        "signed_by",
        "Document signé par {full} le {date} à {city}, contresigné par {title}.",
    ),
    T(
        "followed_by",
        "Le dossier est suivi par {full} (service {dept}) et par {full} ({city}).",
    ),
    T(
        "surname_again",
        "{full#1} a rejoint {company} en {month}. Selon {last#1}, l'étude {study} avance bien.",
    ),
    T(
        "neg_venue",
        "Le congrès se tiendra au {venue} à {city} en {month} ; {company} et {company} y présenteront {product}.",
    ),
)
EN_CUES = (
    T(
        "appositive_role",
        "{full#1}, Chief Financial Officer at {company}, approved the {study} budget. Please copy {title#1} on replies.",
    ),
    T(
        "presented_by",
        "The {product} session at {venue} on {date} will be presented by {full} and chaired by {full}.",
    ),
    T(
        "phone_log",
        "I spoke to {full} this morning; she will call {full} back tomorrow.\ncc {full}",
    ),
    T(
        "ticket",
        "Ticket {ticket} raised by {full} ({email}): access denied to {product}. Assigned to {name}.",
    ),
    T(
        "bullets",
        "Attendees:\n- {full} ({company})\n- {lastfirst}\n- {title_full}\nVenue: {venue}, {city}.",
    ),
    T("signed_by", "Signed by {full} on {date} in {city}, countersigned by {title}."),
    T("handled_by", "The file is handled by {full} ({dept}) together with {full} ({city})."),
    T(
        "surname_again",
        "{full#1} joined {company} in {month}. According to {last#1}, study {study} is on track.",
    ),
    T(
        "neg_venue",
        "The congress takes place at {venue} in {city} in {month}; {company} and {company} will present {product}.",
    ),
)
DE_CUES = (
    T(
        "appositive_role",
        "{full#1}, Finanzvorständin bei {company}, hat das Budget für {study} freigegeben. Bitte {title#1} in Kopie setzen.",
    ),
    T(
        "presented_by",
        "Die Präsentation von {product} im {venue} am {date} halten {full} und {full}.",
    ),
    T(
        "phone_log",
        "Ich habe heute früh mit {full} telefoniert; sie ruft {full} morgen zurück.\ncc {full}",
    ),
    T(
        "ticket",
        "Ticket {ticket} eröffnet von {full} ({email}): kein Zugriff auf {product}. Zugewiesen an {name}.",
    ),
    T(
        "bullets",
        "Teilnehmende:\n- {full} ({company})\n- {lastfirst}\n- {title_full}\nOrt: {venue}, {city}.",
    ),
    T(
        "signed_by",
        "Unterschrieben von {full} am {date} in {city}, gegengezeichnet von {title}.",
    ),
    T("betreut", "Die Akte betreut {full} ({dept}) gemeinsam mit {full} ({city})."),
    T(
        "surname_again",
        "{full#1} ist im {month} zu {company} gewechselt. Laut {last#1} läuft die Studie {study} nach Plan.",
    ),
    T(
        "neg_venue",
        "Der Kongress findet im {month} im {venue} in {city} statt; {company} und {company} stellen {product} vor.",
    ),
)

TEMPLATES: dict[str, tuple[T, ...]] = {"fr": FR + FR_CUES, "en": EN + EN_CUES, "de": DE + DE_CUES}
