"""Benchmarks that print figures (launch cost, launch bursts, grade delivery, dashboard); not tests."""
