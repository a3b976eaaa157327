"""Evaluation suites: datasets of cases per use case, run through the gateway against a model
(and optionally a prompt version of the use case), scored, compared run to run, and the gate
that refuses promoting a prompt version or a model that regresses.

``cases`` (a case and its assertions) ← ``datasets`` (JSONL and YAML files, checked, versioned
by content hash) and ``promptfoo`` (promptfoo test files) → ``scorers`` (exact, contains,
regex, json_schema, numeric, similarity, rubric) → ``service`` (runs through the gateway, each
case committed as it is scored, resumable) → ``summary`` and ``comparison`` (pass rates,
McNemar's exact test) → ``gate`` (the promotion gate).

The service is ``gouvernail.observatory.evaluations.service.Evaluations``
(``runtime.evaluations``).
"""
