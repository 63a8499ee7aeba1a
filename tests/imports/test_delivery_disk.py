"""The worker on a disk that fails under it: an error report it cannot store
is fetched again once the disk takes it, and a part file it cannot read is
tried again later; the import waits, it is not lost, and nothing is sent
twice. The disk is a real small one, made read-only or emptied of the file."""

from django.core.files.storage import default_storage

from imports import delivery
from imports.models import ImportPart
from imports.states import ImportState, PartState
from tests.imports.test_delivery import confirm, follow


def test_an_error_report_the_disk_refuses_is_fetched_again_once_it_takes_it(connected, simulator, small_disk, settings):
    settings.IMPORT_RECHECK_MAX_SECONDS = 0.3
    job = confirm(connected, "portal/schedule-unknown-agents.csv")
    delivery.account_advance(account_key=job.account_key)
    part = job.parts.get()
    small_disk.read_only()
    for _ in range(30):
        ImportPart.objects.filter(pk=part.pk).update(next_poll_at=None)
        delivery.part_poll(part_id=part.pk)
        part.refresh_from_db()
        if part.message:
            break
    assert part.state == PartState.PROCESSING
    assert "could not store Talkdesk's error report on its disk" in part.message
    small_disk.writable()
    assert follow(job).state == ImportState.IMPORTED_WITH_ERRORS
    part.refresh_from_db()
    assert part.error_report and default_storage.exists(part.error_report.name)
    assert len(simulator.control.ledger(account="acme")["uploads"]) == 1


def test_a_part_file_the_worker_cannot_read_waits_and_nothing_is_sent(connected, simulator, small_disk):
    job = confirm(connected)
    part = job.parts.get()
    default_storage.delete(part.content.name)
    delivery.account_advance(account_key=job.account_key)
    part.refresh_from_db()
    assert part.state == PartState.WAITING and part.not_before is not None
    assert "could not read the stored file" in part.message and "nothing was sent" in part.message
    assert simulator.control.ledger(account="acme")["uploads"] == []
