import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.oidc_mapping import access_for, parse_team_groups

TEAMS = parse_team_groups("wfm-alpha=Alpha; wfm-nights=Alpha;wfm-alpha=Nights ; wfm-bravo=Bravo team")


def test_a_group_may_give_several_teams_and_several_groups_one_team():
    assert TEAMS == {"wfm-alpha": ["Alpha", "Nights"], "wfm-nights": ["Alpha"], "wfm-bravo": ["Bravo team"]}


@pytest.mark.parametrize("text", ["wfm-alpha", "=Alpha", "wfm-alpha=", "a=b;c"])
def test_a_pair_that_is_not_group_equals_team_is_named_at_start(text):
    with pytest.raises(ImproperlyConfigured, match="OIDC_TEAM_GROUPS, pair"):
        parse_team_groups(text)


def test_the_groups_give_exactly_their_teams_and_the_admin_role():
    access = access_for(["wfm-alpha", "everyone", "portal-admins"], team_groups=TEAMS, admin_groups=["portal-admins"])
    assert access.team_names == {"Alpha", "Nights"}
    assert access.is_admin


def test_no_groups_give_nothing():
    access = access_for(None, team_groups=TEAMS, admin_groups=["portal-admins"])
    assert access.team_names == frozenset() and not access.is_admin


def test_a_single_group_sent_as_a_string_counts():
    assert access_for("wfm-bravo", team_groups=TEAMS, admin_groups=[]).team_names == {"Bravo team"}
