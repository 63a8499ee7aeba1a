import logging
import os
from queue import Empty

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError

QUEUE = "celery"


@pytest.fixture
def folders(tmp_path):
    names = ("queue", "staging", "processed", "control")
    for name in names:
        (tmp_path / name).mkdir()
    return {name: tmp_path / name for name in names}


@pytest.fixture
def channel(folders):
    connection = Connection(
        "filesystem://",
        transport="portal.filesystem_broker:Transport",
        transport_options={
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "staging_folder": str(folders["staging"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
        },
    )
    with connection:
        yield connection.default_channel


def test_a_message_is_not_in_the_queue_folder_until_it_is_written_whole(channel, folders):
    seen_while_writing = []

    class Payload(dict):
        # Serialising a dict subclass asks for its items: the moment the
        # message is being written.
        def items(self):
            seen_while_writing.append(os.listdir(folders["queue"]))
            return super().items()

    channel._put(QUEUE, Payload(body="wake account acme"))
    assert seen_while_writing == [[]]
    assert len(os.listdir(folders["queue"])) == 1
    assert os.listdir(folders["staging"]) == []
    assert channel._get(QUEUE) == {"body": "wake account acme"}


def test_every_message_written_is_read_once(channel):
    for number in range(5):
        channel._put(QUEUE, {"number": number})
    assert sorted(channel._get(QUEUE)["number"] for _ in range(5)) == [0, 1, 2, 3, 4]
    with pytest.raises(Empty):
        channel._get(QUEUE)


def test_an_unreadable_message_is_dropped_and_named_in_the_log_instead_of_stopping_the_worker(channel, folders, caplog):
    # Named to come first, as the older message it would be.
    (folders["queue"] / f"0_{'0' * 32}.{QUEUE}.msg").write_bytes(b"")
    channel._put(QUEUE, {"body": "the next one"})
    with caplog.at_level(logging.ERROR, logger="portal.filesystem_broker"), pytest.raises(Empty):
        channel._get(QUEUE)
    assert "could not be read and was dropped" in caplog.text
    assert channel._get(QUEUE) == {"body": "the next one"}


def test_a_staging_folder_that_cannot_be_written_is_a_channel_error_that_names_the_message(channel, folders):
    folders["staging"].rmdir()
    with pytest.raises(ChannelError, match=r"Cannot add the message '.+\.celery\.msg' to the broker folder"):
        channel._put(QUEUE, {"body": "lost?"})
    assert os.listdir(folders["queue"]) == []
