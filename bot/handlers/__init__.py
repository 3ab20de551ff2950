"""Handlers by area; each module's `handlers()` returns what it registers, in order."""
