"""Bias tests by counterfactual pairs: prompts that differ only in a first name, a gender or an
age, sent to a model through the gateway, and the divergence of its outcomes measured, tested
and reported per attribute.

``templates`` (the YAML data and its checks) → ``pairs`` (cases and their counterfactual
prompts) → ``service`` (the run through the gateway, stored) → ``report`` (pairs matched,
``stats``: paired test, interval, Holm correction, verdicts with their explanation).

The service is ``gouvernail.observatory.bias.service.BiasTests`` (``runtime.bias``).
"""
