"""Reads the settings that map the identity provider's groups to teams and
to the admin role, and applies them to one person's groups. No Django here:
settings.py uses it before Django is set up."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


def parse_team_groups(text: str) -> dict[str, list[str]]:
    """'wfm-alpha=Alpha; wfm-nights=Alpha; wfm-bravo=Bravo' → each group's teams.

    A group may give several teams (repeat it), and several groups one team."""
    mapping: dict[str, list[str]] = {}
    for number, pair in enumerate(text.split(";"), 1):
        if not pair.strip():
            continue
        group, sep, team = pair.partition("=")
        if not sep or not group.strip() or not team.strip():
            raise ImproperlyConfigured(
                f"OIDC_TEAM_GROUPS, pair {number} ({pair.strip()!r}): write it as provider-group=Team name."
            )
        teams = mapping.setdefault(group.strip(), [])
        if team.strip() not in teams:
            teams.append(team.strip())
    return mapping


@dataclass(frozen=True)
class Access:
    team_names: frozenset[str]
    is_admin: bool


def access_for(groups, *, team_groups: dict[str, list[str]], admin_groups: list[str]) -> Access:
    """What the person's groups give them now; nothing else is kept."""
    if isinstance(groups, str):
        # Some providers send a single group as a string.
        groups = [groups]
    groups = {str(group) for group in groups or []}
    teams = {team for group in groups for team in team_groups.get(group, [])}
    return Access(team_names=frozenset(teams), is_admin=bool(groups & set(admin_groups)))
