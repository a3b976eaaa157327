"""Environment: energy and CO2e of the gateway's calls per use case, department and model, with
the method behind the figures (``footprint.py``), and sobriety hints — short calls sent to a
model when a much smaller approved one would have done (``sobriety.py``); ``service.Footprints``."""
