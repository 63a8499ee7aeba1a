"""The Genesys Cloud side of the simulator's configuration: one organization's
users, business units (with their management units, start day of week, time
zone and activity codes) and OAuth clients with the permissions their roles
grant, checked whole like the Talkdesk accounts."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from numbers import Real

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# BusinessUnitActivityCode.category's values in the platform SDK.
CATEGORIES = (
    "OnQueueWork",
    "Break",
    "Meal",
    "Meeting",
    "OffQueueWork",
    "TimeOff",
    "Training",
    "Unavailability",
    "Unknown",
)
USER_STATES = ("active", "inactive", "deleted")
# The default Genesys Cloud limit: 300 requests a minute per token.
DEFAULT_RATE_LIMIT = {"requests": 300, "per_seconds": 60}
_KEYS = {"rate_limit", "users", "business_units", "clients"}


class ConfigError(ValueError):
    """A fault in the genesys section; simulator.config names the file."""


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    state: str


@dataclass(frozen=True)
class ActivityCode:
    id: str
    name: str
    category: str
    length_in_minutes: int


@dataclass(frozen=True)
class ManagementUnit:
    id: str
    name: str
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class BusinessUnit:
    id: str
    name: str
    start_day_of_week: str
    time_zone: str
    management_units: tuple[ManagementUnit, ...]
    activity_codes: tuple[ActivityCode, ...]

    @property
    def user_ids(self) -> frozenset[str]:
        return frozenset(user_id for unit in self.management_units for user_id in unit.user_ids)

    @property
    def activity_code_ids(self) -> frozenset[str]:
        return frozenset(code.id for code in self.activity_codes)


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    permissions: frozenset[str]


@dataclass(frozen=True)
class GenesysConfig:
    users: dict[str, User]
    business_units: dict[str, BusinessUnit]
    clients: dict[str, Client]
    rate_limit: RateLimit


EMPTY = GenesysConfig(users={}, business_units={}, clients={}, rate_limit=RateLimit(300, 60))


def from_dict(value: object) -> GenesysConfig:
    if value is None:
        return EMPTY
    _expect(value, dict, "genesys")
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ConfigError(f"genesys: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(_KEYS))}")
    for key in ("users", "business_units", "clients"):
        _expect(value.get(key), list, f"genesys.{key}")
    users = [_user(f"genesys.users[{i}]", user) for i, user in enumerate(value["users"])]
    for key in ("id", "email"):
        seen = [getattr(user, key).lower() for user in users]
        if len(seen) != len(set(seen)):
            raise ConfigError(f"genesys.users: two users share an {key}")
    known_users = {user.id for user in users}
    units = [
        _business_unit(f"genesys.business_units[{i}]", unit, known_users)
        for i, unit in enumerate(value["business_units"])
    ]
    if len({unit.id for unit in units}) != len(units):
        raise ConfigError("genesys.business_units: two business units share an id")
    clients = [_client(f"genesys.clients[{i}]", client) for i, client in enumerate(value["clients"])]
    if len({client.client_id for client in clients}) != len(clients):
        raise ConfigError("genesys.clients: two clients share a client_id")
    rate = value.get("rate_limit", DEFAULT_RATE_LIMIT)
    if not isinstance(rate, dict) or set(rate) != {"requests", "per_seconds"}:
        raise ConfigError('genesys.rate_limit must be {"requests": N, "per_seconds": S}')
    requests, per_seconds = rate["requests"], rate["per_seconds"]
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise ConfigError(f"genesys.rate_limit.requests must be a whole number of 1 or more, not {requests!r}")
    if isinstance(per_seconds, bool) or not isinstance(per_seconds, Real) or per_seconds <= 0:
        raise ConfigError(f"genesys.rate_limit.per_seconds must be a number above 0, not {per_seconds!r}")
    return GenesysConfig(
        users={user.id: user for user in users},
        business_units={unit.id: unit for unit in units},
        clients={client.client_id: client for client in clients},
        rate_limit=RateLimit(requests=requests, per_seconds=per_seconds),
    )


def _expect(value: object, kind: type, where: str) -> None:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool or (kind is str and not value):
        label = {str: "a non-empty string", list: "a list", dict: "an object", int: "a whole number"}[kind]
        raise ConfigError(f"{where} must be {label}, not {value!r}")


def _exactly(value: object, keys: set[str], where: str) -> None:
    _expect(value, dict, where)
    if set(value) != keys:
        raise ConfigError(f"{where} must have exactly {', '.join(sorted(keys))}")


def _user(where: str, value: object) -> User:
    _exactly(value, {"id", "name", "email", "state"}, where)
    for key in ("id", "name", "email", "state"):
        _expect(value[key], str, f"{where}.{key}")
    if value["state"] not in USER_STATES:
        raise ConfigError(f"{where}.state must be one of {', '.join(USER_STATES)}, not {value['state']!r}")
    return User(**value)


def _business_unit(where: str, value: object, known_users: set[str]) -> BusinessUnit:
    _exactly(value, {"id", "name", "start_day_of_week", "time_zone", "management_units", "activity_codes"}, where)
    for key in ("id", "name", "start_day_of_week", "time_zone"):
        _expect(value[key], str, f"{where}.{key}")
    if value["start_day_of_week"] not in DAYS:
        raise ConfigError(f"{where}.start_day_of_week must be one of {', '.join(DAYS)}")
    try:
        zoneinfo.ZoneInfo(value["time_zone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}.time_zone {value['time_zone']!r} is not an IANA time zone") from None
    _expect(value["management_units"], list, f"{where}.management_units")
    _expect(value["activity_codes"], list, f"{where}.activity_codes")
    units = []
    for i, unit in enumerate(value["management_units"]):
        unit_where = f"{where}.management_units[{i}]"
        _exactly(unit, {"id", "name", "users"}, unit_where)
        _expect(unit["id"], str, f"{unit_where}.id")
        _expect(unit["name"], str, f"{unit_where}.name")
        _expect(unit["users"], list, f"{unit_where}.users")
        strangers = [user_id for user_id in unit["users"] if user_id not in known_users]
        if strangers:
            raise ConfigError(f"{unit_where}.users: no user with id {strangers[0]!r} in genesys.users")
        units.append(ManagementUnit(id=unit["id"], name=unit["name"], user_ids=tuple(unit["users"])))
    codes = []
    for i, code in enumerate(value["activity_codes"]):
        code_where = f"{where}.activity_codes[{i}]"
        _exactly(code, {"id", "name", "category", "length_in_minutes"}, code_where)
        for key in ("id", "name", "category"):
            _expect(code[key], str, f"{code_where}.{key}")
        if code["category"] not in CATEGORIES:
            raise ConfigError(f"{code_where}.category must be one of {', '.join(CATEGORIES)}")
        _expect(code["length_in_minutes"], int, f"{code_where}.length_in_minutes")
        codes.append(ActivityCode(**code))
    if len({code.id for code in codes}) != len(codes) or len({code.name.lower() for code in codes}) != len(codes):
        raise ConfigError(f"{where}.activity_codes: two activity codes share an id or a name")
    return BusinessUnit(
        id=value["id"],
        name=value["name"],
        start_day_of_week=value["start_day_of_week"],
        time_zone=value["time_zone"],
        management_units=tuple(units),
        activity_codes=tuple(codes),
    )


def _client(where: str, value: object) -> Client:
    _exactly(value, {"client_id", "client_secret", "permissions"}, where)
    _expect(value["client_id"], str, f"{where}.client_id")
    _expect(value["client_secret"], str, f"{where}.client_secret")
    _expect(value["permissions"], list, f"{where}.permissions")
    for i, permission in enumerate(value["permissions"]):
        _expect(permission, str, f"{where}.permissions[{i}]")
        if permission.count(":") != 2:
            raise ConfigError(f"{where}.permissions[{i}] {permission!r} is not domain:entity:action")
    return Client(
        client_id=value["client_id"], client_secret=value["client_secret"], permissions=frozenset(value["permissions"])
    )
