"""Alerts: rules with thresholds over the observatory's and the gateway's figures (error rates,
budgets, provider SLA, canary drifts, shadow-AI spikes), evaluated by ``service.Alerts.check``,
deduplicated by a stable key, delivered by signed webhooks and e-mail, every step audited."""
