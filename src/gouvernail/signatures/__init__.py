"""Electronic signatures bound to exact record versions."""
