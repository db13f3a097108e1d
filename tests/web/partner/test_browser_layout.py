"""In a real browser at a laptop's and a phone's width: the partner pages fit the screen.

At 1280×800 no page scrolls sideways and no table is wider than its card, unless it sits in a scroll
box that is not; the columns people come for (Sub 1, Source ID, Transaction ID, Hold ends, On hold)
are on screen without scrolling. At 390×844 the page's heading is on the first screen, the menu button
opens the navigation and its links work.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# For every table in <main>: is it wider than its card (or <main>), and if so is it in a scroll box that fits?
# Then: which of the named header cells lie outside the visible part of the card.
MEASURE = """(wanted) => {
  const problems = [];
  const px = (n) => `${Math.round(n)}px`;
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth)
    problems.push(`page is ${px(doc.scrollWidth)} wide in a ${px(window.innerWidth)} window`);
  for (const table of document.querySelectorAll("main table")) {
    const card = table.closest(".card, main");
    const cardBox = card.getBoundingClientRect();
    const tableBox = table.getBoundingClientRect();
    let scroller = table.parentElement;
    while (scroller !== card && !["auto", "scroll"].includes(getComputedStyle(scroller).overflowX))
      scroller = scroller.parentElement;
    const visible = scroller === card ? cardBox : scroller.getBoundingClientRect();
    if (visible.right > cardBox.right + 0.5 || visible.left < cardBox.left - 0.5)
      problems.push(`#${table.id}: its box (${px(visible.width)}) is wider than its card (${px(cardBox.width)})`);
    if (scroller === card && tableBox.width > cardBox.width + 0.5)
      problems.push(`#${table.id} is ${px(tableBox.width)} wide in a ${px(cardBox.width)} card`);
    for (const th of table.querySelectorAll("thead th")) {
      const label = th.textContent.replace(/[▲▼]/g, "").trim();
      if (!wanted.includes(label)) continue;
      const box = th.getBoundingClientRect();
      if (box.right > visible.right + 0.5 || box.left < visible.left - 0.5 || box.right > window.innerWidth)
        problems.push(`#${table.id}: "${label}" is off screen (${px(box.left)}–${px(box.right)}; ` +
                      `visible ${px(visible.left)}–${px(visible.right)})`);
    }
  }
  return problems;
}"""

IMPORTANT = {
    "/conversions": ["Time", "Offer", "Status", "Payout", "Sub 1", "Source ID", "Transaction ID"],
    "/conversions/on-hold": ["Time", "Offer", "Payout", "Hold ends", "Sub 1", "Transaction ID"],
}
GROUPINGS = ("date", "week", "month", "offer", "sub1", "sub2", "sub3", "sub4", "sub5", "source_id", "country",
             "device_type", "event_name")
REPORT_IMPORTANT = ["Clicks", "Conversions", "Earnings", "EPC", "On hold"]


def problems_on(page, url: str, wanted: list[str]) -> list[str]:
    page.goto(url)
    return [f"{url}: {p}" for p in page.evaluate(MEASURE, wanted)]


def test_tables_fit_their_cards_at_1280(page, live_server, demo_partner, sign_in):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, demo_partner.email)
    base = live_server.url
    problems = problems_on(page, base + "/", [])
    for path, wanted in IMPORTANT.items():
        problems += problems_on(page, base + path + "?preset=last_30_days", wanted)
    problems += problems_on(page, base + "/conversions/on-hold?preset=last_30_days&on_hold_status=",
                            IMPORTANT["/conversions/on-hold"])
    for column in GROUPINGS:
        problems += problems_on(page, f"{base}/reports?preset=last_30_days&column={column}", REPORT_IMPORTANT)
    problems += problems_on(page, f"{base}/reports?preset=last_30_days&column=sub1&column=sub2", REPORT_IMPORTANT)
    problems += problems_on(page, f"{base}/reports?preset=last_30_days&column=date&column=offer", REPORT_IMPORTANT)
    assert not problems, "\n".join(problems)


PAGE_SCROLLS_SIDEWAYS = "() => document.documentElement.scrollWidth > window.innerWidth"


def test_a_phone_shows_the_page_first_and_the_menu_behind_a_button(page, live_server, demo_partner, sign_in):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, demo_partner.email)
    for path, heading in (("/", "Dashboard"), ("/reports?preset=last_30_days&column=sub1", "Reports"),
                          ("/conversions", "Conversions")):
        page.goto(live_server.url + path)
        h1 = page.locator("main h1")
        expect(h1).to_have_text(heading)
        box = h1.bounding_box()
        assert box["y"] + box["height"] <= 844, f"{path}: the heading starts {box['y']:.0f}px down"
        assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS), f"{path} scrolls sideways"
        expect(page.locator("#main-nav")).to_be_hidden()

    # The filters fold away on a phone while none is set; a set filter keeps them open, and says how many.
    page.goto(live_server.url + "/reports?preset=last_30_days")
    expect(page.locator("details.filter-fold")).not_to_have_attribute("open", "")
    expect(page.locator("input[name=sub1]")).to_be_hidden()
    page.locator("details.filter-fold summary").click()
    expect(page.locator("input[name=sub1]")).to_be_visible()
    page.goto(live_server.url + "/conversions?preset=last_30_days&sub1=fb_lookalike_us_women_25_44_creative_01&country=US")
    expect(page.locator("input[name=sub1]")).to_be_visible()
    expect(page.locator("details.filter-fold summary")).to_have_text("Filters (2 set)")

    button = page.get_by_role("button", name="Menu")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#main-nav")).to_be_visible()
    assert not page.evaluate(PAGE_SCROLLS_SIDEWAYS)
    page.locator("#main-nav").get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports")
    expect(page.locator("main h1")).to_have_text("Reports")
    expect(page.locator("#main-nav")).to_be_hidden()  # a new page starts with the menu folded

    page.get_by_role("button", name="Menu").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#main-nav")).to_be_hidden()


def test_the_menu_button_stays_out_of_the_way_on_a_laptop(page, live_server, demo_partner, sign_in):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server.url, demo_partner.email)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator("#main-nav").get_by_role("link", name="Conversions")).to_be_visible()
