"""The reference agents of the demo organisation (issue 8): a market-insight agent that answers
from the market studies through the insight service, and a commercial agent that finds an
opportunity and asks a finance agent where to find the budget, which proposes a reallocation
that waits for a human approval. They run against a scripted model (``scripted.py``), faked at
the HTTP boundary like every provider in the tests, through the real gateway, tool gateway and
message API (``loop.py``, ``scenario.py``); ``setup.py`` registers them."""
