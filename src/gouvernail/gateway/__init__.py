"""The OpenAI-compatible gateway: every model call of the company, checked against the charter.

The request flow is one ordered list of small steps assembled in ``pipeline.py``. Subpackages own
one concern each: ``providers`` (adapters and the upstream client), ``accounting`` (quotas,
prices, energy), ``redaction`` (pseudonymisation and output inspection). Nothing is imported here
so that importing a table module does not load the detectors or the HTTP stack.
"""
