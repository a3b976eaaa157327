"""Example data: ``gouvernail demo load`` creates Helvia Pharma, a fictional pharmaceutical
group (business units, departments, people with roles and levels, training records, the charter
and its acceptances, an inventory, a committee with its meetings, and a dozen use cases drawn
from pharma practice at every stage of the lifecycle), so that a new user sees the product
working at once.

Everything goes through the services, so the audit trail records the demo like any other
activity. The data is YAML in ``demo/data/``. Public interface: ``load_demo`` and its
``DemoReport``; ``DemoRefusedError`` when the installation is not one to load a demo into
(``check_environment`` says so before anything is touched).
"""

from gouvernail.demo.loader import DemoRefusedError, DemoReport, check_environment, load_demo

__all__ = ["DemoRefusedError", "DemoReport", "check_environment", "load_demo"]
