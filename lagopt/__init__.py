"""lagopt: least-action paths through loss landscapes, and an optimizer built on them."""
__version__ = "0.1.0"
