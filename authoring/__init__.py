"""Authoring: what generates student material from ``solutions/`` (stubs, notebooks, handouts)."""
