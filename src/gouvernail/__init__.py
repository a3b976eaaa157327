"""Gouvernail: a control plane for responsible generative AI in regulated enterprises."""

__version__ = "0.1.0"
