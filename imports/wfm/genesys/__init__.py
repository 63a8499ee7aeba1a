"""Genesys Cloud Workforce Management's schedule import: the client, and the
conversion of a checked schedule file into one import document per week."""
