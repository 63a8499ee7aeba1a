"""What the portal takes as an upload: a size cap that acts while the body
streams in, and a file name fit to show, to store in a row and to send on.

Django's upload settings cap no file (FILE_UPLOAD_MAX_MEMORY_SIZE only decides
when to spool to disk), so the cap is here, as the first upload handler.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# The upload form's other fields and the multipart framing: a request this much
# over the file cap may still carry a file under it.
FORM_ALLOWANCE_BYTES = 64 * 1024
# What is read at a time of a refused body while it is dropped.
DROP_CHUNK_BYTES = 64 * 1024
FILE_NAME_MAX_CHARS = 255
FALLBACK_FILE_NAME = "schedule.csv"


def _size(number_of_bytes: int) -> str:
    if number_of_bytes >= 1024 * 1024:
        return f"{number_of_bytes / (1024 * 1024):.1f} MB"
    return f"{max(number_of_bytes // 1024, 1)} KB"


class SizeCappedUploadHandler(FileUploadHandler):
    """Stops an upload over UPLOAD_MAX_BYTES: at once when the request's
    Content-Length says so, otherwise at the chunk that crosses the cap.

    The rest of the body is read and dropped rather than the connection cut,
    so that the browser gets the upload page with the reason instead of a
    connection reset; nothing of it is kept in memory or on disk.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.body = None
        self.received = 0
        self.refusal: str | None = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.body = input_data
        if content_length > settings.UPLOAD_MAX_BYTES + FORM_ALLOWANCE_BYTES:
            self.refusal = (
                f"The file is about {_size(content_length)}; the portal takes files up to "
                f"{_size(settings.UPLOAD_MAX_BYTES)}. Split it and upload each part."
            )

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.refusal:
            self._drop_the_rest()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.refusal = (
                f"The file is over {_size(settings.UPLOAD_MAX_BYTES)}, the most the portal takes. "
                "Split it and upload each part."
            )
            self._drop_the_rest()
        return raw_data

    def _drop_the_rest(self):
        # Not StopUpload(connection_reset=False): Django would then read the
        # rest line by line, and a body without a line break would sit whole
        # in memory. Read here in fixed chunks, the rest is gone, and Django
        # is told not to read any more.
        while self.body.read(DROP_CHUNK_BYTES):
            pass
        raise StopUpload(connection_reset=True)

    def file_complete(self, file_size):
        # The handlers after this one keep the file.
        return None


def upload_refusal(request) -> str | None:
    """Why the request's upload was stopped, or None if it was not."""
    # Reading FILES runs the handlers, unless the CSRF check already has.
    request.FILES  # noqa: B018
    return next(
        (handler.refusal for handler in request.upload_handlers if isinstance(handler, SizeCappedUploadHandler)),
        None,
    )


def safe_file_name(name: str) -> str:
    """The name without any folder, control or direction-changing characters
    (which can disguise an extension), and short enough to store."""
    name = name.replace("\\", "/")
    name = PurePosixPath(name).name
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = " ".join(name.split()).lstrip(".")
    if not name:
        return FALLBACK_FILE_NAME
    if len(name) > FILE_NAME_MAX_CHARS:
        stem, extension = os.path.splitext(name)
        extension = extension[:16]
        name = stem[: FILE_NAME_MAX_CHARS - len(extension)] + extension
    return name
