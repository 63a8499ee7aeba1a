import json
import logging

from portal.logs import ImportIdFilter, JsonFormatter, PlainFormatter, about_import, working_on_import


def record(message="Part 1 sent", **extra):
    entry = logging.LogRecord("imports.delivery", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(entry, key, value)
    ImportIdFilter().filter(entry)
    return entry


def test_a_line_written_while_working_on_an_import_carries_its_id_as_json():
    with about_import("4b1d"):
        line = json.loads(JsonFormatter().format(record(attempt=2)))
    assert line["import_id"] == "4b1d"
    assert (line["level"], line["logger"], line["message"], line["attempt"]) == (
        "INFO",
        "imports.delivery",
        "Part 1 sent",
        2,
    )


def test_a_line_about_nothing_in_particular_has_no_import_id():
    with about_import(None):
        assert "import_id" not in json.loads(JsonFormatter().format(record()))


def test_the_text_format_names_the_import_too():
    with about_import("4b1d"):
        assert PlainFormatter("%(message)s").format(record()) == "Part 1 sent [import 4b1d]"


def test_celery_forgets_the_import_between_two_tasks():
    from celery.signals import task_prerun

    working_on_import("4b1d")
    task_prerun.send(sender=None, task_id="t", task=None, args=(), kwargs={})
    assert "import_id" not in json.loads(JsonFormatter().format(record()))


def test_a_request_for_an_imports_page_logs_under_its_id(client, personas, caplog):
    from imports import services
    from tests.conftest import data_file

    job = services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name="week.csv",
        data=data_file("portal/schedule-example.csv"),
        time_zone="America/New_York",
        date_format=None,
    )
    client.force_login(personas.sam)
    caplog.handler.addFilter(ImportIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(f"/imports/{job.pk}/parts/9/errors.csv")
    assert [r.import_id for r in caplog.records if r.name == "django.request"] == [str(job.pk)]
