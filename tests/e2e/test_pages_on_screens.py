"""Every page, in a real Chromium at a desktop's 1280 px and a phone's 390 px:
nothing wider than the window, every element inside its card (or inside a
box of the card that scrolls on its own), no serious or critical finding of
axe-core, and a screenshot kept in data/screenshots/."""

from datetime import datetime, timedelta

import pytest

from imports import services
from tests.conftest import DATA
from tests.e2e.screens import WIDTHS, assert_fits_and_is_accessible, keep_screenshot, layout_problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def five_weeks_of_shifts() -> bytes:
    """Eight agents over five weeks in New York, a lunch inside each shift,
    two shifts of one agent that overlap, and one shift at 02:30 on the day
    clocks skip that hour."""
    lines = ["Agent Name,Agent Email,Start Time,End Time,Event Type Name"]
    first = datetime(2026, 2, 23)
    for agent in range(8):
        name = f"Agent Number {agent + 1} With A Long Name"
        email = f"agent{agent + 1}@example.com"
        for day in range(35):
            start = first + timedelta(days=day, hours=8 + agent % 3)
            lines.append(f"{name},{email},{start:%H:%M %Y-%m-%d},{start + timedelta(hours=8):%H:%M %Y-%m-%d},Shift")
            lunch = start + timedelta(hours=4)
            lines.append(f"{name},{email},{lunch:%H:%M %Y-%m-%d},{lunch + timedelta(hours=1):%H:%M %Y-%m-%d},Lunch")
    lines.append("Agent Number 1 With A Long Name,agent1@example.com,15:00 2026-02-24,19:00 2026-02-24,Shift")
    lines.append("Night Owl,owl@example.com,02:30 2026-03-08,06:00 2026-03-08,Shift")
    return ("\n".join(lines) + "\n").encode()


def upload(personas, name=None, data=None, file_name=None):
    if data is None:
        data = (DATA / name).read_bytes()
    return services.import_create(
        team=personas.alpha,
        uploaded_by=personas.sam,
        file_name=file_name or name.rsplit("/", 1)[-1],
        data=data,
        time_zone="America/New_York",
        date_format=None,
    )


@pytest.fixture
def imports(personas):
    long = upload(personas, data=five_weeks_of_shifts(), file_name="march-rota-for-the-whole-customer-care-floor.csv")
    overlapping = upload(personas, "schedules/overlapping-breaks.csv")
    sent = upload(personas, "portal/schedule-example.csv")
    services.import_confirm(job=sent, actor=personas.sam, warnings_acknowledged=True)
    cancelled = upload(personas, "portal/schedule-duplicate-rows.csv")
    services.import_cancel(job=cancelled, actor=personas.sam)
    return {"long": long, "overlapping": overlapping, "sent": sent, "cancelled": cancelled}


def open_page(page, url, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", WIDTHS)
def test_every_supervisors_page_fits_the_window_and_passes_axe(page, live_server, personas, imports, screen):
    sign_in(page, live_server, personas.sam)
    width = WIDTHS[screen]
    pages = {
        "history": "/imports/",
        "history-filtered-empty": "/imports/?state=stalled",
        "upload": "/imports/new/",
        "preview-long": f"/imports/{imports['long'].pk}/",
        "preview-overlapping": f"/imports/{imports['overlapping'].pk}/",
        "queued": f"/imports/{imports['sent'].pk}/",
        "cancelled": f"/imports/{imports['cancelled'].pk}/",
        "rows": f"/imports/{imports['long'].pk}/rows/",
        "timeline": f"/imports/{imports['long'].pk}/timeline/",
        "settings": "/settings/",
    }
    for name, path in pages.items():
        open_page(page, live_server.url + path, width)
        if name.startswith("preview"):
            page.wait_for_selector("#timeline")
        assert_fits_and_is_accessible(page, f"{name}-{screen}")


@pytest.mark.parametrize("screen", WIDTHS)
def test_every_admins_page_fits_the_window_and_passes_axe(page, live_server, personas, imports, screen):
    sign_in(page, live_server, personas.ada)
    width = WIDTHS[screen]
    for name, path in {
        "audit": "/audit/",
        "connections": "/connections/",
        "connection-form": f"/connections/{personas.acme.pk}/",
    }.items():
        open_page(page, live_server.url + path, width)
        assert_fits_and_is_accessible(page, f"{name}-{screen}")


def test_the_sign_in_page_fits_a_phone(page, live_server):
    open_page(page, live_server.url + "/", WIDTHS["phone"])
    assert_fits_and_is_accessible(page, "sign-in-phone")


@pytest.mark.parametrize("screen", WIDTHS)
def test_the_timeline_fits_its_card_with_the_names_pinned(page, live_server, personas, imports, screen):
    sign_in(page, live_server, personas.sam)
    open_page(page, live_server.url + f"/imports/{imports['long'].pk}/", WIDTHS[screen])
    page.wait_for_selector("#timeline svg.timeline")
    card = page.locator("section.card:has(#timeline)").bounding_box()
    scroller = page.locator(".timeline-scroll").bounding_box()
    assert card["x"] <= scroller["x"] and scroller["x"] + scroller["width"] <= card["x"] + card["width"]
    names_before = page.locator(".timeline-names").bounding_box()
    page.locator(".timeline-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    names_after = page.locator(".timeline-names").bounding_box()
    assert names_after["x"] == pytest.approx(names_before["x"], abs=1)
    # Every bar lies inside the plot.
    plot = page.locator("svg.timeline").bounding_box()
    for bar in page.locator("svg.timeline rect[data-row]").all():
        box = bar.bounding_box()
        assert plot["x"] - 0.5 <= box["x"] and box["x"] + box["width"] <= plot["x"] + plot["width"] + 0.5
    if screen == "desktop":
        assert scroller["width"] >= plot["width"] + names_before["width"]  # no sideways scroll needed
    keep_screenshot(page, f"timeline-card-{screen}")


def test_a_planner_moves_and_zooms_the_window_of_a_long_file(page, live_server, personas, imports):
    sign_in(page, live_server, personas.sam)
    open_page(page, live_server.url + f"/imports/{imports['long'].pk}/timeline/", WIDTHS["desktop"])
    window = page.locator("[data-window]")
    assert window.inner_text() == "Mon 23 Feb 2026 – Sun 1 Mar 2026"
    page.click("[data-move=later]")
    page.wait_for_selector("[data-window]:has-text('Mon 2 Mar 2026')")
    assert page.locator("svg.timeline text", has_text="Sun 08 Mar").count() == 1
    page.click("text=a day")
    page.wait_for_selector("strong[aria-current]:has-text('a day')")
    assert window.inner_text() == "Mon 2 Mar 2026"
    assert page.locator("svg.timeline text", has_text="12:00").count() == 1
    page.click("text=the whole file")
    page.wait_for_selector("svg.timeline text:has-text('February 2026')")
    assert page.locator("[data-move]").count() == 0
    keep_screenshot(page, "timeline-whole-file-desktop")
    assert layout_problems(page) == []


def test_the_timeline_lists_a_row_it_cannot_draw_with_the_reason(page, live_server, personas, imports):
    sign_in(page, live_server, personas.sam)
    open_page(page, live_server.url + f"/imports/{imports['long'].pk}/timeline/", WIDTHS["phone"])
    listed = page.inner_text("#not-drawn")
    assert "Night Owl, row 563: Start Time: 02:30 on 2026-03-08 does not exist in America/New_York" in listed
    assert "9 agents." in page.inner_text("#timeline")


def test_the_timelines_table_is_reached_by_keyboard(page, live_server, personas, imports):
    sign_in(page, live_server, personas.sam)
    open_page(page, live_server.url + f"/imports/{imports['overlapping'].pk}/timeline/", WIDTHS["phone"])
    summary = page.locator(".timeline-table summary")
    for _ in range(40):
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the table of events cannot be reached with Tab")
    page.keyboard.press("Enter")
    table = page.locator(".timeline-table table")
    assert table.is_visible()
    text = table.inner_text()
    assert "John Smith" in text and "Mon 01 Jun 2026 12:15" in text and "overlaps, lane 2" in text
    keep_screenshot(page, "timeline-table-phone")
    assert layout_problems(page) == []


@pytest.mark.parametrize("screen", WIDTHS)
def test_after_confirming_the_live_status_is_in_view(page, live_server, personas, screen):
    job = upload(personas, "portal/schedule-example.csv")
    sign_in(page, live_server, personas.sam)
    open_page(page, live_server.url + f"/imports/{job.pk}/", WIDTHS[screen])
    page.click("text=Confirm and send 3 rows")
    page.wait_for_selector("#status [data-state]")
    status = page.locator("#status h2").bounding_box()
    assert status["y"] >= 0 and status["y"] + status["height"] <= 900
    keep_screenshot(page, f"confirmed-{screen}")
    assert layout_problems(page) == []


def test_a_cancelled_import_says_who_cancelled_it_once(page, live_server, personas, imports):
    sign_in(page, live_server, personas.sam)
    open_page(page, live_server.url + f"/imports/{imports['cancelled'].pk}/", WIDTHS["phone"])
    status = page.inner_text("#status")
    assert status.count("Cancelled by sam before it was sent.") == 1
    assert page.locator("#status table").count() == 0
    assert page.locator(".transitions li").count() == 1
