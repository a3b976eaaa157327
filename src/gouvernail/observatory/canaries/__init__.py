"""Canaries for silent vendor changes: a model's fixed prompts asked on a schedule through the
gateway, each run compared with the model's baseline run, and a drift recorded when the answers,
the refusals, the lengths, the latency, the system fingerprint or the returned model name
changed significantly.

``prompts`` (the YAML data and its checks) → ``service`` (configuration, runs through the
gateway, baselines, drifts and the decisions on them) → ``detection`` (a run against its
baseline, metric by metric) over ``statistics`` (similarity, Wilcoxon, Fisher, Mann-Whitney,
Holm).

The service is ``gouvernail.observatory.canaries.service.Canaries`` (``runtime.canaries``).
"""
