"""What sales reads in the terminal summary and the report, in French (the default) or English (LEADS_LANGUAGE):
number and percentage formats, rates with their sample size and Wilson interval, and the fixed sentences. The words
that dbt builds (score_reasons, status_reason) come from seeds instead; logs and the Dagster UI stay in English."""

from __future__ import annotations

import math
from dataclasses import dataclass

# French typography: a narrow no-break space groups thousands ("1 234") and precedes "%" ("12,4 %"); it never breaks
# a number across two lines.
NARROW_NBSP = "\u202f"

# Below this many observations a rate says too little to act on: one lead more or less moves it by over 3 points,
# and its 95 % Wilson interval is still about ±17 points wide around 50 % at n = 30. The page then says "too few to
# conclude" instead of a percentage such as "100 %" from a handful of leads.
MIN_SAMPLE = 30
Z_95 = 1.959964  # the normal quantile of a two-sided 95 % interval


def number(value: float | int | None, digits: int = 0, language: str = "fr") -> str:
    """1234.5 as "1 234,5" in French (narrow no-break space, decimal comma) or "1,234.5" in English."""
    if value is None:
        return say("n/a", language)
    text = f"{value:,.{digits}f}"
    if language == "fr":
        text = text.replace(",", NARROW_NBSP).replace(".", ",")
    return text


def signed(value: float, digits: int = 0, language: str = "fr") -> str:
    """+4.4 as "+4,4" and -4.4 as "−4,4" (a true minus sign) in French; "+4.4" / "−4.4" in English."""
    return ("+" if value >= 0 else "−") + number(abs(value), digits, language)


def percent(share: float | None, digits: int = 0, language: str = "fr") -> str:
    """0.124 as "12,4 %" in French or "12.4%" in English."""
    if share is None:
        return say("n/a", language)
    value = number(100 * share, digits, language)
    return f"{value}{NARROW_NBSP}%" if language == "fr" else f"{value}%"


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default): unlike p ± z·√(p(1−p)/n) it stays within 0–1
    and is not zero-width at 0 % or 100 %. None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """successes out of n, read with its sample size and its 95 % Wilson interval."""

    successes: int
    n: int

    @property
    def enough(self) -> bool:
        return self.n >= MIN_SAMPLE

    @property
    def share(self) -> float | None:
        return self.successes / self.n if self.n else None

    def text(self, language: str = "fr", digits: int = 0) -> str:
        """"12 % (n = 250 ; IC 95 % : 8–16 %)" or, under MIN_SAMPLE, "trop peu pour conclure (n = 12)"."""
        size = f"n = {number(self.n, 0, language)}"
        if not self.enough:
            return f"{say('too few to conclude', language)} ({size})"
        low, high = wilson_interval(self.successes, self.n)
        share = percent(self.share, digits, language)
        bounds = f"{number(100 * low, digits, language)}–{percent(high, digits, language)}"
        if language == "fr":
            return f"{share} ({size} ; IC 95{NARROW_NBSP}% : {bounds})"
        return f"{share} ({size}; 95% CI {bounds})"


# English wording → French. The English text is the key, so the code reads as it prints in English.
FRENCH = {
    "CRM push: {count} leads changed since the last push, written to {file} (dry run: nothing sent; "
    "LEADS_CRM_PUSH=on sends them)":
        "Envoi au CRM : {count} leads changés depuis le dernier envoi, écrits dans {file} (essai : rien n'est envoyé ; "
        "LEADS_CRM_PUSH=on les envoie)",
    "CRM push: the scores of {count} leads are in the CRM": "Envoi au CRM : les scores de {count} leads sont dans le CRM",
    "n/a": "n.d.",
    "too few to conclude": "trop peu pour conclure",
    # the report
    "Lead qualification": "Qualification des leads",
    "Scores and statuses as of {as_of}, checked against the deals that followed.":
        "Scores et statuts au {as_of}, confrontés aux affaires qui ont suivi.",
    "Who to contact this week": "Qui contacter cette semaine",
    "Contactable SQL and MQL leads, highest lead score first: {count}.":
        "Leads SQL et MQL contactables, du meilleur score au moins bon : {count}.",
    "The first {shown} are listed; the others are in marts.qualified_leads (status sql or mql, contactable).":
        "Les {shown} premiers sont listés ; les autres sont dans marts.qualified_leads (statut sql ou mql, "
        "contactable).",
    "No contactable SQL or MQL lead today.": "Aucun lead SQL ou MQL contactable aujourd'hui.",
    "Lead": "Lead",
    "Company": "Entreprise",
    "Status": "Statut",
    "Lead score": "Score",
    "CRM owner": "Propriétaire CRM",
    "Why": "Pourquoi",
    "unassigned": "non attribué",
    "do not call": "ne pas appeler",
    "The funnel": "L'entonnoir",
    "Stage": "Étape",
    "Leads who ever reached it": "Leads qui l'ont atteinte un jour",
    "From the previous stage": "Depuis l'étape précédente",
    "Leads at this status today": "Leads à ce statut aujourd'hui",
    "The funnel counts every lead that ever reached a stage (the first day it did, from the status history), "
    "whatever its status today: a lead that was MQL in March and became SQL, or was disqualified since, counts "
    "as having reached MQL. The last column is today's status of the same leads (marts.qualified_leads), which is "
    "why it holds far fewer MQLs: most have moved on or fallen back since (today's lead, MQL, SQL and disqualified "
    "add up to every lead). An opportunity is a deal opened on the person or their CRM company; won, a deal won.":
        "L'entonnoir compte chaque lead qui a atteint une étape un jour (le premier jour où il l'a atteinte, "
        "d'après l'historique des statuts), quel que soit son statut aujourd'hui : un lead MQL en mars devenu SQL, "
        "ou disqualifié depuis, compte comme ayant atteint MQL. La dernière colonne donne le statut actuel des "
        "mêmes leads (marts.qualified_leads), d'où bien moins de MQL : la plupart ont avancé ou reculé depuis "
        "(lead, MQL, SQL et disqualifié d'aujourd'hui totalisent tous les leads). Une opportunité est une affaire "
        "ouverte sur la personne ou son entreprise dans le CRM ; gagné, une affaire gagnée.",
    "Leads": "Leads",
    "MQL": "MQL",
    "SQL": "SQL",
    "Opportunity": "Opportunité",
    "Won": "Gagné",
    "Disqualified": "Disqualifié",
    "Rates come with their sample size n and a 95 % confidence interval (Wilson); under {minimum} leads a rate "
    "says too little and the page says so.":
        "Les taux sont donnés avec leur effectif n et un intervalle de confiance à 95 % (Wilson) ; sous "
        "{minimum} leads, un taux ne dit pas grand-chose et la page le dit.",
    "Does the scoring find the buyers? The backtest": "Le score trouve-t-il les acheteurs ? Le backtest",
    "Lead-score decile (10 = highest scores)": "Décile du score (10 = meilleurs scores)",
    "Lead × date pairs": "Couples lead × date",
    "Opportunities": "Opportunités",
    "Opportunity rate": "Taux d'opportunité",
    "Lift (× average)": "Lift (× moyenne)",
    "Random order's lift": "Lift d'un ordre aléatoire",
    "Qualification path": "Parcours de qualification",
    "Qualified leads": "Leads qualifiés",
    "Conversion to opportunity": "Conversion en opportunité",
    "Reached SQL": "Devenus SQL",
    "Median days to SQL": "Jours médians jusqu'à SQL",
    "Signal-led": "Porté par un signal",
    "Engagement only": "Engagement seul",
    # the backtest's findings
    "Replayed every week from {first} to {last} ({dates} dates, {leads} leads), each date scored only with what "
    "was known on it; an outcome is an opportunity opened within {horizon} days.":
        "Rejoué chaque semaine du {first} au {last} ({dates} dates, {leads} leads), chaque date notée avec ce qui "
        "était connu ce jour-là ; un résultat est une opportunité ouverte dans les {horizon} jours.",
    "Leads in the top lead-score decile got an opportunity {lift}× as often as the average lead (a random order "
    "of the same leads: {random}×); their opportunity rate: {rate}.":
        "Les leads du meilleur décile de score ont eu une opportunité {lift} fois plus souvent que le lead moyen "
        "(un ordre aléatoire des mêmes leads : {random} fois) ; leur taux d'opportunité : {rate}.",
    "Opportunity rate of leads flagged MQL or better: {mql}; flagged SQL: {sql}; of the average lead: {base}. "
    "Share of the lead-dates followed by an opportunity that were flagged (recall): MQL {mql_recall}; SQL "
    "{sql_recall}.":
        "Taux d'opportunité des leads signalés MQL ou mieux : {mql} ; signalés SQL : {sql} ; du lead moyen : "
        "{base}. Part des couples lead × date suivis d'une opportunité qui avaient été signalés (rappel) : MQL "
        "{mql_recall} ; SQL {sql_recall}.",
    "Accounts won: {won}; flagged MQL or SQL before sales opened the opportunity: {flagged}, a median of {days} "
    "days earlier.":
        "Comptes gagnés : {won} ; signalés MQL ou SQL avant que les commerciaux n'ouvrent l'opportunité : "
        "{flagged}, en médiane {days} jours plus tôt.",
    "Conversion to an opportunity of signal-led qualified leads: {signal}; of engagement-only ones: {engagement}. "
    "Median days from first engagement or signal to SQL: {signal_days} against {engagement_days}.":
        "Conversion en opportunité des leads qualifiés portés par un signal : {signal} ; par l'engagement seul : "
        "{engagement}. Jours médians du premier engagement ou signal jusqu'à SQL : {signal_days} contre "
        "{engagement_days}.",
    "No backtest yet: the weekly_backtest job (Mondays) or `make run` replays the scoring against the deals.":
        "Pas encore de backtest : le job weekly_backtest (le lundi) ou `make run` rejoue le score face aux "
        "affaires.",
    "No backtest yet: the CRM has too little history. The backtest replays the scoring every week from {first} "
    "to {last} (the last date {horizon} days before {as_of}, so that what followed each date is known) for the "
    "leads already in the CRM then whose account had no deal yet: it found {pairs} such (lead, date) "
    "pairs{since}, and needs at least {minimum} to compare lead-score deciles. It will say more as the CRM's "
    "history grows; the settings are backtest_weeks, backtest_horizon_days and backtest_min_lead_dates in "
    "dbt_project/dbt_project.yml.":
        "Pas encore de backtest : le CRM a trop peu d'historique. Le backtest rejoue le score chaque semaine du "
        "{first} au {last} (la dernière date {horizon} jours avant le {as_of}, pour connaître la suite de chaque "
        "date) pour les leads déjà dans le CRM dont le compte n'avait pas encore d'affaire : il a trouvé {pairs} "
        "couples (lead, date){since}, et il en faut au moins {minimum} pour comparer les déciles de score. Il en "
        "dira plus à mesure que l'historique du CRM grandit ; les réglages sont backtest_weeks, "
        "backtest_horizon_days et backtest_min_lead_dates dans dbt_project/dbt_project.yml.",
    " (the oldest lead in the CRM was created in {month})": " (le plus ancien lead du CRM a été créé en {month})",
    # the charts
    "Funnel: every cohort of new leads": "Entonnoir : toutes les cohortes de nouveaux leads",
    "leads who ever reached the stage": "leads ayant atteint l'étape un jour",
    "of": "de",
    "Backtest: opportunity rate by lead-score decile": "Backtest : taux d'opportunité par décile de score",
    "lead score": "score",
    "random order": "ordre aléatoire",
    "lead-score decile (10 = highest scores)": "décile du score (10 = meilleurs scores)",
    "lift (× average opportunity rate)": "lift (× taux d'opportunité moyen)",
    "Backtest: time to SQL": "Backtest : délai jusqu'à SQL",
    # the predictive model against the rules
    "A predictive model against the lead score": "Un modèle prédictif face au score de lead",
    "predictive model": "modèle prédictif",
    "lead score (rules)": "score de lead (règles)",
    "decile (10 = highest scores)": "décile (10 = meilleurs scores)",
    "Opportunity rate by decile": "Taux d'opportunité par décile",
    "predicted probability (%)": "probabilité prédite (%)",
    "observed rate (%)": "taux observé (%)",
    "Calibration, by decile": "Calibrage, par décile",
    "The predictive model has not been trained yet: the weekly_backtest job (Mondays) trains it on the backtest's "
    "rows.":
        "Le modèle prédictif n'a pas encore été entraîné : le job weekly_backtest (le lundi) l'entraîne sur les "
        "lignes du backtest.",
    "The predictive model is not trained: {leads} leads, of which {positives} got an opportunity within the horizon; "
    "it takes at least {min_leads} leads and {min_positives} of them (LEADS_MODEL_MIN_LEADS, "
    "LEADS_MODEL_MIN_POSITIVES). The lead score alone qualifies the leads.":
        "Le modèle prédictif n'est pas entraîné : {leads} leads, dont {positives} ont eu une opportunité dans "
        "l'horizon ; il en faut au moins {min_leads}, dont {min_positives} avec une opportunité "
        "(LEADS_MODEL_MIN_LEADS, LEADS_MODEL_MIN_POSITIVES). Le score de lead seul qualifie les leads.",
    "The predictive model is not trained: the backtest's history is too short for weeks to learn from, a 90-day gap "
    "and the newest weeks to check it on. The lead score alone qualifies the leads.":
        "Le modèle prédictif n'est pas entraîné : l'historique du backtest est trop court pour des semaines "
        "d'apprentissage, un écart de 90 jours et les semaines les plus récentes pour le vérifier. Le score de lead "
        "seul qualifie les leads.",
    "On the backtest's {dates} newest weeks, which it did not learn from, it ranks an opportunity above a lead "
    "without one {model_auc} of the time (the lead score: {rules_auc}; gain interval {auc_lower} to {auc_upper} "
    "points); its top decile gets an opportunity {model_lift}× as often as the average lead (the lead score's: "
    "{rules_lift}×; gain interval {lift_lower} to {lift_upper}).":
        "Sur les {dates} semaines les plus récentes du backtest, qu'il n'a pas apprises, il classe un lead qui a eu "
        "une opportunité devant un lead qui n'en a pas eu dans {model_auc} des cas (le score de lead : {rules_auc} ; "
        "intervalle du gain : {auc_lower} à {auc_upper} points) ; son meilleur décile a une opportunité "
        "{model_lift} fois plus souvent que le lead moyen (celui du score de lead : {rules_lift} fois ; intervalle "
        "du gain : {lift_lower} à {lift_upper}).",
    "The predictive model is in use: it beats the lead score on both counts, with confidence. qualified_leads "
    "carries its probability of an opportunity (predicted_conversion) and the three facts that weigh most "
    "(predicted_factors); the status still comes from the rules.":
        "Le modèle prédictif est utilisé : il bat le score de lead sur les deux mesures, avec confiance. "
        "qualified_leads porte sa probabilité d'opportunité (predicted_conversion) et les trois faits qui pèsent le "
        "plus (predicted_factors) ; le statut vient toujours des règles.",
    "The predictive model is not used: it does not beat the lead score with confidence, so the rules alone score "
    "the leads.":
        "Le modèle prédictif n'est pas utilisé : il ne bat pas le score de lead avec confiance ; les règles seules "
        "notent les leads.",
    "days from first engagement or signal to SQL (weekly as-of dates)":
        "jours du premier engagement ou signal jusqu'à SQL (dates hebdomadaires)",
    "leads": "leads",
    "no lead reached SQL during the backtest": "aucun lead n'est devenu SQL pendant le backtest",
    # the terminal summary
    "Warehouse {path}": "Entrepôt {path}",
    "Landed (table: rows, quarantined, last file, when):":
        "Chargé (table : lignes, en quarantaine, dernier fichier, quand) :",
    "{table}: {rows} rows, {quarantined} quarantined — {files}{file}, {at}":
        "{table} : {rows} lignes, {quarantined} en quarantaine — {files}{file}, {at}",
    "{count} files, last ": "{count} fichiers, dernier ",
    "Registry: {companies} companies, {active} active; {protected} with protected data, {individuals} individual "
    "entrepreneurs, {revenue} with a known revenue":
        "Registre : {companies} entreprises, {active} actives ; {protected} aux données protégées, {individuals} "
        "entrepreneurs individuels, {revenue} au chiffre d'affaires connu",
    "CRM companies matched to the registry: {total} — {methods}":
        "Entreprises du CRM rapprochées du registre : {total} — {methods}",
    "Web events: {events}; {identified} identified ({retro} retroactively), {known} of CRM people, {domain} tied "
    "to a company by its domain":
        "Événements web : {events} ; {identified} identifiés ({retro} après coup), {known} de personnes du CRM, "
        "{domain} rattachés à une entreprise par son domaine",
    "Qualified leads as of {as_of}: {people} people — {counts}; {contactable} contactable":
        "Leads qualifiés au {as_of} : {people} personnes — {counts} ; {contactable} contactables",
    # statuses as the summary counts them (the column holds the codes lead, mql, sql, disqualified)
    "lead": "lead", "mql": "mql", "sql": "sql", "disqualified": "disqualifié",
    "Top leads (not disqualified, highest lead score first):":
        "Meilleurs leads (hors disqualifiés, du meilleur score au moins bon) :",
    "lead score {score} (fit {fit}, engagement {engagement}, intent {intent})":
        "score {score} (profil {fit}, engagement {engagement}, intention {intent})",
    " — not contactable": " — non contactable",
    "Net-new target accounts (registry, not in the CRM): {total}":
        "Nouveaux comptes cibles (registre, hors CRM) : {total}",
    "; the first five:": " ; les cinq premiers :",
    " (they need the establishments stock for their location, and fit from the ICP seeds)":
        " (il leur faut le stock des établissements pour leur localisation, et un profil d'après les seeds ICP)",
    "target score {score}": "score cible {score}",
    "Backtest (does the scoring find the buyers?):": "Backtest (le score trouve-t-il les acheteurs ?) :",
    "Not published for BI tools yet: `make materialize` publishes the marts.":
        "Pas encore publié pour les outils BI : `make materialize` publie les marts.",
    "Published for BI tools (as of {as_of}, {published_at}): {database} and {parquet}/":
        "Publié pour les outils BI (au {as_of}, {published_at}) : {database} et {parquet}/",
    "The warehouse was rebuilt at {built_at} (UTC), after the build this publication shows ({source}): BI tools "
    "still read the older one. Run `make materialize` to publish it.":
        "L'entrepôt a été reconstruit à {built_at} (UTC), après la version que montre cette publication "
        "({source}) : les outils BI lisent encore l'ancienne. Lancez `make materialize` pour la publier.",
    "unknown": "inconnue",
    "{count} check(s) failed in the run that published it (warnings: published anyway):":
        "{count} contrôle(s) en échec dans l'exécution qui l'a publiée (avertissements : publiée quand même) :",
    "Does qualification work? Charts and findings: {page}":
        "La qualification fonctionne-t-elle ? Graphiques et constats : {page}",
}

MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]


def say(english: str, language: str = "fr", **values) -> str:
    """The sentence in the language, its {placeholders} filled: the English text is the key of its French one."""
    text = FRENCH[english] if language == "fr" else english
    return text.format(**values) if values else text


def month_year(day, language: str = "fr") -> str:
    """"mars 2026" or "March 2026"."""
    return f"{MONTHS_FR[day.month - 1]} {day.year}" if language == "fr" else f"{day:%B %Y}"
