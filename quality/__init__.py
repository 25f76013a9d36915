"""Measuring the kit itself: how strong the hidden suites are (mutation testing)."""
