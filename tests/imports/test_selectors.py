import uuid

from django.utils import timezone

from imports import lifecycle, selectors, services
from imports.models import Import
from imports.states import ImportState
from tests.imports.test_query_counts import make_imports


def test_the_status_stamp_shows_each_person_exactly_the_imports_imports_for_does(personas):
    personas.bravo.supervisors.add(personas.bea)
    alphas = make_imports(personas, 2, state=ImportState.QUEUED)
    bravo = make_imports(personas, 1, state=ImportState.QUEUED)[0]
    Import.objects.filter(pk=bravo.pk).update(team=personas.bravo)
    for person in (personas.ada, personas.sam, personas.bea):
        for job in (*alphas, bravo):
            visible = selectors.imports_for(person).filter(pk=job.pk).exists()
            assert (selectors.status_stamp(person, job.pk) is not None) == visible, (person, job)
        assert selectors.status_stamp(person, uuid.uuid4()) is None
    assert selectors.status_stamp(personas.bea, bravo.pk) is not None
    assert selectors.status_stamp(personas.bea, alphas[0].pk) is None


def test_the_stamp_counts_the_moving_imports_before_it_in_its_account_only(personas):
    first, second, third = make_imports(personas, 3, state=ImportState.QUEUED)
    assert selectors.status_stamp(personas.sam, third.pk).queued_before == 2
    assert selectors.status_stamp(personas.sam, first.pk).queued_before == 0
    Import.objects.filter(pk=first.pk).update(state=ImportState.IMPORTED)
    assert selectors.status_stamp(personas.sam, third.pk).queued_before == 1
    Import.objects.filter(pk=second.pk).update(account_key="elsewhere")
    assert selectors.status_stamp(personas.sam, third.pk).queued_before == 0
    assert selectors.status_stamp(personas.sam, third.pk).queued_before == selectors.imports_ahead(
        Import.objects.get(pk=third.pk)
    )


def test_the_stamp_changes_with_every_move_of_the_import_or_its_parts(personas):
    job = make_imports(personas, 1, state=ImportState.QUEUED)[0]
    before = selectors.status_stamp(personas.sam, job.pk)
    assert before.is_moving
    lifecycle.part_claim(part=job.parts.get(), held_by="worker-1")
    after = selectors.status_stamp(personas.sam, job.pk)
    assert after != before
    assert after.state == ImportState.SENDING


def test_what_happened_tells_each_step_of_a_one_part_file_once_with_the_talkdesk_id(personas):
    from tests.conftest import data_file

    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    lifecycle.import_queue(job=job, actor=personas.sam)
    part = job.parts.get()
    lifecycle.part_claim(part=part, held_by="w")
    lifecycle.part_upload_started(part=part)
    lifecycle.part_accepted(part=part, remote_id="abc-123", first_poll_at=timezone.now())

    steps = selectors.import_steps(job=job, parts=1)
    labels = [step.label for step in steps]

    assert len(labels) == len(set(labels)), labels
    processing = [step for step in steps if "abc-123" in step.note]
    assert len(processing) == 1
