"""AI literacy (EU AI Act Art. 4): training modules, completions and their expiry, imports from
learning platforms, coverage, and the rule that gates AI keys.

Public interface: ``service.Literacy`` (``runtime.literacy``), whose ``eligibility(user_id,
at=None)`` returns an ``views.Eligibility`` (``allowed``, ``reasons``); ``eligibility.
eligibility_in(session, ...)`` answers the same inside an open session.
"""
