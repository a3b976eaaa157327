"""Value and ROI per use case: a value model typed in by the use case's owner or an AI referent
(baseline, tasks, hourly cost, time saved — declared or measured —, redeployment, costs) and the
report computed from it and the request log (adoption, token costs, hours freed, savings
realised, ROI, payback): ``service.Values``, the arithmetic in ``roi.py``, adoption in
``adoption.py``."""
