"""Notifications to customers outside any ticket: templates (templates.py) and sending one (send.py)."""
