"""Writes of steps 3 and 6, one module per concern.

kickoff: schedule a meeting, its attendees and agenda, record the agenda sent;
minutes: decisions, action items and open issues, issue, confirm, correct;
contributions: what departments offer and need, turned into tasks or sub-goals;
materials: files sent with the agenda; occurrences: regular meetings of the
plan; plan: the rows of the communication plan.
"""
