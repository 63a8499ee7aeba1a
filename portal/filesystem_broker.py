"""Kombu's filesystem transport, safe for the embedded default's several
processes writing to one folder while a worker reads it.

Kombu creates a message's file in the queue folder and only then writes it,
so a worker that lists the folder in between reads an empty file, and
Celery stops the whole worker on the error ("Unrecoverable error:
JSONDecodeError", kombu issue 1551). The faster the folder is read, the
likelier that is. Here a message is written beside the folder and renamed
into it, which is atomic on one file system: it appears whole or not at all.
"""

from __future__ import annotations

import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps
from kombu.utils.objects import cached_property

log = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    @cached_property
    def staging_folder(self) -> str:
        return self.transport_options["staging_folder"]

    def _put(self, queue, payload, **kwargs):
        # Named as Kombu names them: readers take the files in name order
        # and by the queue named at the end.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        staged = os.path.join(self.staging_folder, name)
        body = str_to_bytes(dumps(payload))
        try:
            with open(staged, "wb") as file:
                file.write(body)
            os.replace(staged, os.path.join(self.data_folder_out, name))
        except OSError as error:
            raise ChannelError(f"Cannot add the message {name!r} to the broker folder: {error}") from error

    def _get(self, queue):
        try:
            return super()._get(queue)
        except ValueError:
            # The file is gone by now. What it asked for is in the database,
            # and the reconciler wakes it again; a stopped worker would wake
            # nothing at all.
            log.error(
                "A message in the broker folder %s could not be read and was dropped; "
                "the reconciler gives again whatever wake-up it carried.",
                self.data_folder_in,
            )
            raise Empty() from None


class Transport(filesystem.Transport):
    Channel = Channel
