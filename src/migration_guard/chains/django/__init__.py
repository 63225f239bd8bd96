"""Django: one chain per app, the ``migrations`` package of the app, read statically."""
