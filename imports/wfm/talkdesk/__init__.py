"""Talkdesk WFM's Schedule Event Import API: the client and its error report."""
