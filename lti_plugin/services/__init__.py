"""Rapport's logic: plain functions that flush and never read the request."""
