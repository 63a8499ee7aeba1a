"""What the browser tests of the pages share: signing a persona in, the two
window widths, the layout and accessibility checks, and the screenshots kept
under data/screenshots/ (git ignores data/) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

# Playwright's sync API runs an event loop in the test's thread, where these
# tests also make their data with the ORM; the portal itself is served by
# pytest-django's live server in a thread of its own.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "data" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}

# Every element of a card lies inside the card's box, except what is inside a
# box that scrolls on its own (a wide table, the timeline): then that box
# must lie inside the card.
_LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const page = document.documentElement.scrollWidth;
  if (page > window.innerWidth) problems.push(`the page is ${page} px wide in a ${window.innerWidth} px window`);
  const scrollers = ".table-scroll, .timeline-scroll";
  for (const card of document.querySelectorAll(".card, header.top, main")) {
    const box = card.getBoundingClientRect();
    for (const element of card.querySelectorAll("*")) {
      const inner = element.parentElement && element.parentElement.closest(scrollers);
      if (inner && card.contains(inner)) continue;
      if (!element.getClientRects().length) continue;
      const rect = element.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      if (rect.left < box.left - 0.5 || rect.right > box.right + 0.5) {
        const name = element.tagName.toLowerCase() + (element.className && typeof element.className === "string" ? "." + element.className.split(" ").join(".") : "");
        problems.push(`${name} (${Math.round(rect.left)}–${Math.round(rect.right)}) outside ${card.tagName.toLowerCase()}.${card.className} (${Math.round(box.left)}–${Math.round(box.right)}): ${(element.textContent || "").trim().slice(0, 40)}`);
      }
    }
  }
  return problems;
}
"""


def sign_in(page, live_server, user) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def layout_problems(page) -> list[str]:
    return page.evaluate(_LAYOUT_PROBLEMS)


def serious_accessibility_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def keep_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_and_is_accessible(page, name: str) -> None:
    keep_screenshot(page, name)
    misplaced = layout_problems(page)
    assert not misplaced, f"{name}: {misplaced}"
    violations = serious_accessibility_violations(page)
    assert not violations, f"{name}: {violations}"
