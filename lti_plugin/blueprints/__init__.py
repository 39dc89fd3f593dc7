"""Thin views, one module per area."""
