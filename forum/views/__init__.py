"""Blueprints: thin views that parse input and call one action."""
