"""Which package speaks to a connection's WFM, by the connection's kind: a
third WFM is a package with a client, a `wfm.Wfm` class and a `cut`, and
a line here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imports.schedule.check import ScheduleCheck
from imports.wfm.base import ConnectionSettings, Directory, PartContent, Wfm
from imports.wfm.genesys import wfm as genesys
from imports.wfm.talkdesk import wfm as talkdesk


@dataclass(frozen=True)
class Vendor:
    name: str
    open: Callable[[ConnectionSettings], Wfm]
    cut: Callable[..., list[PartContent]]
    # Whether the WFM lists its event types (so the portal syncs them) or
    # the portal learns them from clean imports.
    lists_event_types: bool
    # How the checks name the WFM and its event types.
    where: str
    event_type_called: str


VENDORS: dict[str, Vendor] = {
    "talkdesk": Vendor(
        name="Talkdesk",
        open=talkdesk.TalkdeskWfm,
        cut=talkdesk.cut,
        lists_event_types=False,
        where="Talkdesk account",
        event_type_called="event type",
    ),
    "genesys": Vendor(
        name="Genesys Cloud",
        open=genesys.GenesysWfm,
        cut=genesys.cut,
        lists_event_types=True,
        where="Genesys Cloud business unit",
        event_type_called="activity code",
    ),
}


def vendor(kind: str) -> Vendor:
    try:
        return VENDORS[kind]
    except KeyError:
        raise ValueError(f"{kind!r} is not a kind of WFM the portal knows: {', '.join(VENDORS)}.") from None


def open_wfm(settings: ConnectionSettings) -> Wfm:
    return vendor(settings.kind).open(settings)


def cut(
    kind: str, check: ScheduleCheck, directory: Directory, *, description: str, published: bool
) -> list[PartContent]:
    return vendor(kind).cut(check, directory, description=description, published=published)
