"""Each page asks the database the same number of questions however long the
history is: a page whose count grows with the imports shown fails here."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from imports.models import Import, ImportPart, Transition
from imports.states import ImportState, PartState

# Session, user, the uploaders and the teams of the filter, the count of the
# imports and the page of them; filtered or not, as the team and uploader
# chosen are checked against those already read.
HISTORY_QUERIES = 6
# An admin's page also counts the imports waiting for an admin's decision
# (from the state index).
ADMIN_HISTORY_QUERIES = HISTORY_QUERIES + 1
# Session, user, the import, whether any part has an error report, the
# parts and the transitions.
DETAIL_QUERIES = 6
# Session, user, the status stamp (state, last transition, place in the
# account's queue), the import, the parts and the transitions.
FRAGMENT_QUERIES = 6
# An unchanged status: session, user, the stamp; nothing rendered.
UNCHANGED_FRAGMENT_QUERIES = 3


def make_imports(personas, count: int, *, state: str = ImportState.IMPORTED, uploaders=None) -> list[Import]:
    uploaders = uploaders or [personas.sam]
    now = timezone.now()
    jobs = []
    for number in range(count):
        job = Import.objects.create(
            team=personas.alpha,
            connection=personas.acme,
            account_key=personas.acme.account_key,
            uploaded_by=uploaders[number % len(uploaders)],
            file_name=f"schedule-{number}.csv",
            original="imports/seeded/original",
            size=100,
            sha256="0" * 64,
            time_zone="America/New_York",
            rows=3,
            state=state,
            confirmed_at=now - timedelta(minutes=count - number),
        )
        part = ImportPart.objects.create(
            import_job=job,
            number=1,
            account_key=job.account_key,
            content=f"imports/{job.id}/part-1.csv",
            size=100,
            sha256="0" * 64,
            rows=3,
            state=PartState.WAITING if state == ImportState.QUEUED else PartState.IMPORTED,
        )
        Transition.objects.create(import_job=job, from_state="preview", to_state="queued", actor=personas.sam)
        Transition.objects.create(import_job=job, part=part, from_state="processing", to_state=part.state)
        jobs.append(job)
    return jobs


@pytest.mark.parametrize("count", [2, 40])
@pytest.mark.parametrize("who", ["sam", "ada"])
def test_the_history_asks_the_same_questions_for_two_imports_or_forty(
    client, personas, django_assert_num_queries, django_user_model, count, who
):
    others = [django_user_model.objects.create_user(f"planner{number}") for number in range(count // 10)]
    personas.alpha.supervisors.add(*others)
    make_imports(personas, count, uploaders=[personas.sam, *others])
    client.force_login(getattr(personas, who))
    queries = ADMIN_HISTORY_QUERIES if who == "ada" else HISTORY_QUERIES
    with django_assert_num_queries(queries):
        assert client.get(reverse("imports:history")).status_code == 200
    with django_assert_num_queries(queries):
        filtered = {"team": personas.alpha.pk, "state": "imported", "uploader": personas.sam.pk, "since": "2020-01-01"}
        assert client.get(reverse("imports:history"), filtered).status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_an_imports_page_asks_the_same_questions_however_many_imports_there_are(
    client, personas, django_assert_num_queries, count
):
    job = make_imports(personas, count)[-1]
    client.force_login(personas.sam)
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_the_live_status_fragment_asks_the_same_questions_however_long_the_queue(
    client, personas, django_assert_num_queries, count
):
    job = make_imports(personas, count, state=ImportState.QUEUED)[-1]
    client.force_login(personas.sam)
    with django_assert_num_queries(FRAGMENT_QUERIES):
        fragment = client.get(
            reverse("imports:detail", args=[job.pk]), {"fragment": "status"}, headers={"HX-Request": "true"}
        )
    assert fragment.status_code == 200
    assert ("Next in line" if count == 1 else f"{count - 1} imports ahead") in fragment.content.decode()


@pytest.mark.parametrize("count", [1, 20])
def test_an_unchanged_live_status_asks_fewer_questions_however_long_the_queue(
    client, personas, django_assert_num_queries, count
):
    job = make_imports(personas, count, state=ImportState.QUEUED)[-1]
    client.force_login(personas.sam)
    url, headers = reverse("imports:detail", args=[job.pk]), {"HX-Request": "true"}
    etag = client.get(url, {"fragment": "status"}, headers=headers)["ETag"]
    with django_assert_num_queries(UNCHANGED_FRAGMENT_QUERIES):
        unchanged = client.get(url, {"fragment": "status"}, headers={**headers, "If-None-Match": etag})
    assert unchanged.status_code == 304
