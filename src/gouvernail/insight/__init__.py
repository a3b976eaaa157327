"""Insight: governed answers from internal documents, with citations and permissions.

Kept light on purpose: the parsing worker processes import ``insight.parsing`` before their
memory limit is set, so nothing heavy may be imported here. See docs/insight.md.
"""
