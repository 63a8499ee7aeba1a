"""The one family of refusals a service raises when what a person asked for
cannot be done: the pages show its message (imports.page_refusals), the API
answers it as a problem (imports.api)."""


class ActionRefused(Exception):
    """What a person asked for cannot be done; the message says why, plainly."""


class ChangesWouldBeDiscarded(ActionRefused):
    """Reading another sheet would discard the changes made to this one's
    rows: done only once the person confirms it."""

    def __init__(self, message: str, *, changes: int):
        super().__init__(message)
        self.changes = changes
