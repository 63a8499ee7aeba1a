"""The simulator's configuration: accounts with their agents, event types and
OAuth clients, timings and resting faults, read from JSON and checked whole
so that a typo stops the start instead of surfacing as a puzzling 401."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from numbers import Real
from pathlib import Path

from simulator import faults, genesys_config

SCOPES = ("wfm-public:write", "wfm-public:read", "users:read")
# Talkdesk account names are host labels ({account}.talkdeskid.com).
_ACCOUNT_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_TOP_LEVEL = {
    "token_ttl_seconds",
    "processing_seconds",
    "report_link_ttl_seconds",
    "rate_limit",
    "faults",
    "accounts",
    "genesys",
}


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    email: str
    active: bool


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Account:
    name: str
    agents: tuple[Agent, ...]
    event_types: frozenset[str]
    clients: dict[str, Client]
    active_emails: frozenset[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "active_emails", frozenset(a.email.lower() for a in self.agents if a.active))


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float


@dataclass(frozen=True)
class SimulatorConfig:
    accounts: dict[str, Account]
    token_ttl_seconds: float
    processing_seconds: float
    report_link_ttl_seconds: float
    rate_limit: RateLimit
    faults: dict[str, object]
    # Genesys Cloud served beside Talkdesk; empty when the config has no genesys section.
    genesys: genesys_config.GenesysConfig = genesys_config.EMPTY


def load(path: str | Path | None) -> SimulatorConfig:
    """The config at `path`, or the packaged demo config when there is none."""
    if path is None:
        text = resources.files("simulator").joinpath("demo_config.json").read_text(encoding="utf-8")
        where = "the packaged demo_config.json"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read {where}: {error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"{where} is not valid JSON: {error}") from None
    try:
        return from_dict(data)
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def from_dict(data: object) -> SimulatorConfig:
    if not isinstance(data, dict):
        raise ConfigError("the config must be a JSON object")
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(_TOP_LEVEL))}")
    accounts = data.get("accounts")
    if not isinstance(accounts, dict) or not accounts:
        raise ConfigError("accounts must be a non-empty object of account name to account")
    try:
        resting_faults = faults.validated(data.get("faults", {}))
    except faults.FaultError as error:
        raise ConfigError(f"faults: {error}") from None
    try:
        genesys = genesys_config.from_dict(data.get("genesys"))
    except genesys_config.ConfigError as error:
        raise ConfigError(str(error)) from None
    return SimulatorConfig(
        accounts={name: _account(name, value) for name, value in accounts.items()},
        token_ttl_seconds=_positive(data, "token_ttl_seconds", 600),
        processing_seconds=_positive(data, "processing_seconds", 3, allow_zero=True),
        report_link_ttl_seconds=_positive(data, "report_link_ttl_seconds", 600),
        rate_limit=_rate_limit(data.get("rate_limit", {"requests": 120, "per_seconds": 60})),
        faults=resting_faults,
        genesys=genesys,
    )


def _positive(data: dict, key: str, default: float, *, allow_zero: bool = False) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, Real) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{key} must be a number {'of 0 or more' if allow_zero else 'above 0'}, not {value!r}")
    return value


def _rate_limit(value: object) -> RateLimit:
    if not isinstance(value, dict) or set(value) != {"requests", "per_seconds"}:
        raise ConfigError('rate_limit must be {"requests": N, "per_seconds": S}')
    requests, per_seconds = value["requests"], value["per_seconds"]
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise ConfigError(f"rate_limit.requests must be a whole number of 1 or more, not {requests!r}")
    if isinstance(per_seconds, bool) or not isinstance(per_seconds, Real) or per_seconds <= 0:
        raise ConfigError(f"rate_limit.per_seconds must be a number above 0, not {per_seconds!r}")
    return RateLimit(requests=requests, per_seconds=per_seconds)


def _expect(value: object, kind: type, where: str) -> None:
    if not isinstance(value, kind) or (kind is str and not value):
        label = {str: "a non-empty string", bool: "true or false", list: "a list", dict: "an object"}[kind]
        raise ConfigError(f"{where} must be {label}, not {value!r}")


def _account(name: str, value: object) -> Account:
    where = f"accounts.{name}"
    if not _ACCOUNT_NAME.match(name):
        raise ConfigError(f"{where}: an account name is lower-case letters, digits and hyphens")
    _expect(value, dict, where)
    missing, unknown = (
        {"agents", "event_types", "clients"} - set(value),
        set(value) - {"agents", "event_types", "clients"},
    )
    if missing or unknown:
        raise ConfigError(f"{where} must have exactly agents, event_types and clients")
    for key in ("agents", "event_types", "clients"):
        _expect(value[key], list, f"{where}.{key}")
    agents = tuple(_agent(f"{where}.agents[{i}]", agent) for i, agent in enumerate(value["agents"]))
    for key in ("id", "email"):
        seen = [getattr(agent, key).lower() for agent in agents]
        if len(seen) != len(set(seen)):
            raise ConfigError(f"{where}.agents: two agents share an {key}")
    for i, event_type in enumerate(value["event_types"]):
        _expect(event_type, str, f"{where}.event_types[{i}]")
    clients = [_client(f"{where}.clients[{i}]", client) for i, client in enumerate(value["clients"])]
    if not clients:
        raise ConfigError(f"{where}.clients must list at least one client")
    if len({c.client_id for c in clients}) != len(clients):
        raise ConfigError(f"{where}.clients: two clients share a client_id")
    return Account(
        name=name,
        agents=agents,
        event_types=frozenset(value["event_types"]),
        clients={c.client_id: c for c in clients},
    )


def _agent(where: str, value: object) -> Agent:
    _expect(value, dict, where)
    if set(value) != {"id", "name", "email", "active"}:
        raise ConfigError(f"{where} must have exactly id, name, email and active")
    for key in ("id", "name", "email"):
        _expect(value[key], str, f"{where}.{key}")
    _expect(value["active"], bool, f"{where}.active")
    return Agent(**value)


def _client(where: str, value: object) -> Client:
    _expect(value, dict, where)
    if set(value) != {"client_id", "client_secret", "scopes"}:
        raise ConfigError(f"{where} must have exactly client_id, client_secret and scopes")
    _expect(value["client_id"], str, f"{where}.client_id")
    _expect(value["client_secret"], str, f"{where}.client_secret")
    _expect(value["scopes"], list, f"{where}.scopes")
    unknown = [s for s in value["scopes"] if s not in SCOPES]
    if unknown:
        raise ConfigError(f"{where}.scopes: unknown scope(s) {unknown!r}; known scopes: {', '.join(SCOPES)}")
    return Client(client_id=value["client_id"], client_secret=value["client_secret"], scopes=frozenset(value["scopes"]))
