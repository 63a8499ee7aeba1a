"""A disk the portal cannot read or write (full, read-only, not its own, a
stored file gone) told in plain words: on the page of the person who met it,
and in the log for the operator, never as a bare server error."""

from __future__ import annotations

import errno
import logging

from django.shortcuts import render

log = logging.getLogger(__name__)

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "its disk is read-only",
    errno.EACCES: "it is not allowed to write to its folder",
    errno.EPERM: "it is not allowed to write to its folder",
    errno.EIO: "the disk reported an input/output error",
}
# The errors of a disk or a folder; any other OSError (a network socket, say)
# is not the disk's to explain.
STORAGE_ERRNOS = frozenset(_CAUSES) | {errno.ENOENT, errno.ENOTDIR, errno.EISDIR}


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in STORAGE_ERRNOS


def cause(error: OSError) -> str:
    return _CAUSES.get(error.errno) or (error.strerror or str(error)).lower()


def could_not_store(error: OSError) -> str:
    return f"The portal could not store the file: {cause(error)}. Tell your administrator."


class StorageErrorMiddleware:
    """The last word on a disk failure that reached a view: a page saying
    what happened (404 for a stored file gone, 503 for a disk that refuses),
    and the event, with the path, in the log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_storage_error(exception):
            return None
        log.error("%s %s: storage failure: %s", request.method, request.path, exception)
        if exception.errno in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR):
            message, status = (
                "A file the portal stored for this import is missing from its disk, so it cannot be shown. "
                "Tell your administrator; the portal's log names the file.",
                404,
            )
        else:
            message, status = (
                f"The portal could not read or write its files: {cause(exception)}. "
                "Tell your administrator; nothing you did caused it.",
                503,
            )
        return render(request, "storage_problem.html", {"message": message}, status=status)
