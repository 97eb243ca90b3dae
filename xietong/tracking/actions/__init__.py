"""Writes of steps 7 and 8, one module per concern (progress, weekly, issues, risks, sla, changes, closing)."""
