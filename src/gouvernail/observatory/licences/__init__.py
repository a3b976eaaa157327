"""Licences and AI tools used outside the gateway (``service.Licences``, ``runtime.licences``):
seats per tool and person from vendors' exports (``formats``), activity from outside tools'
compliance exports (``activity``) inspected against the charter (``screening``), and the
figures: active and inactive seats, reclaim recommendations, cost per active user
(``report``)."""
