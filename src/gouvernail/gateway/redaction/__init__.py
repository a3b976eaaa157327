"""Reversible pseudonymisation of requests and inspection of answers.

Enforce: a per-request ``Vault`` replaces what the detectors found with placeholders
(``[PERSON_1]``) before anything goes upstream, and keeps the originals. Answer: an
``AnswerFilter`` runs an ``OutputGuard`` over the model's output (streamed or not, with a
bounded look-behind window, masking or flagging leaks) and then a ``StreamRestorer`` that puts
the originals back where, and only where, the model reproduced a placeholder exactly.
"""

from gouvernail.gateway.redaction.answer import AnswerFilter
from gouvernail.gateway.redaction.guard import Action, Detect, OutputGuard
from gouvernail.gateway.redaction.restorer import StreamRestorer
from gouvernail.gateway.redaction.vault import Restored, Vault

__all__ = ["Action", "AnswerFilter", "Detect", "OutputGuard", "Restored", "StreamRestorer", "Vault"]
