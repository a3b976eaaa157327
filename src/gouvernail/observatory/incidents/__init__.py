"""The AI incident register: incidents with their timeline, linked gateway calls and corrective
actions (``service.Incidents``), and the AI Act serious-incident rules (``rules``, data in
``observatory/data/serious_incidents.yaml``)."""
