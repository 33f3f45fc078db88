"""The landing page is the shifter's overview: its figures appear for an anonymous visitor,
read from the JSON API, and each one leads into the view that shows it whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from playwright.sync_api import Locator, Page, expect

from .conftest import BROWSER_MARKS, Console, screenshot, wait_ready

pytestmark = BROWSER_MARKS

FIGURES = ["jobs", "timeseries", "queues", "errors", "workers", "age"]


def open_overview(page: Page) -> Locator:
    page.goto("/")
    page.wait_for_selector("#pj-overview[data-state='ready']", state="attached")
    return page.locator("#pj-overview")


def card(page: Page, figure: str) -> Locator:
    return page.locator(f"#pj-overview .pj-card[data-figure='{figure}']")


def query_of(href: str | None) -> dict[str, str]:
    assert href
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def coloured_pixels(canvas: Locator) -> int:
    """How many pixels of the canvas are drawn in a colour (the series' lines), not grey."""
    return int(canvas.evaluate("""(c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
            const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
            if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
        }
        return n;
    }"""))


def api(path: str, **params: Any) -> Any:
    response = Client().get(path, params)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_an_anonymous_visitor_sees_every_figure_without_errors(page: Page, console: Console) -> None:
    overview = open_overview(page)
    assert overview.locator(".pj-card").evaluate_all("cards => cards.map(c => c.dataset.figure)") == [
        "jobs", "timeseries", "queues", "errors", "workers", "age"]
    expect(overview.locator(".pj-error-box")).to_have_count(0)
    for figure in FIGURES:
        expect(card(page, figure).locator(".pj-card-body")).not_to_be_empty()
    expect(page.locator("#pj-overview-age")).to_have_text(re.compile(r"figures \d+ (s|min) old"))
    screenshot(page, "overview")
    assert console.errors == []


def test_the_jobs_by_state_are_the_summary_s_and_link_to_those_jobs(page: Page) -> None:
    open_overview(page)
    summary = {r["jobstatus"]: r["count"] for r in api("/api/production/jobs/summary/", groupby="jobstatus", hours=12)["data"]}
    links = card(page, "jobs").locator(".pj-countline .pj-count")
    assert links.count() == len(summary)
    first = links.first
    state, count = first.inner_text().rsplit(":", 1)
    assert summary[state] == int(count)
    assert query_of(first.locator("a").get_attribute("href")) == {"jobstatus": state, "hours": "12"}
    first.locator("a").click()
    page.wait_for_url(re.compile(r"/production/jobs/\?"))
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-facets")).to_contain_text(f"{state}:{count}")


def test_the_plot_draws_finished_and_failed_jobs_per_hour_with_its_partial_bins_marked(page: Page) -> None:
    open_overview(page)
    plot = card(page, "timeseries")
    finished = api("/api/stats/timeseries/", metric="jobs_finished", hours=12, bin="1h")["data"]
    area = plot.locator(".pj-plot-area")
    assert int(area.get_attribute("data-points") or 0) == len(finished["bins"]) >= 12
    assert sum(finished["series"][0]["values"]) > 0
    assert coloured_pixels(plot.locator("canvas").first) > 200
    expect(plot.locator(".u-legend")).to_contain_text("finished")
    expect(plot.locator(".u-legend")).to_contain_text("failed")
    cut = [end for end in ("first", "last") if finished["partial"][end]]
    assert (area.get_attribute("data-partial") or "").split() == cut
    if cut:
        expect(plot.locator(".pj-plot-note")).to_contain_text("only part of their time")
    assert plot.locator("h2 a").get_attribute("href") == "/stats/timeseries/?hours=12&bin=1h"


def test_the_queue_with_the_most_failures_comes_first_and_opens_its_queue_page(page: Page) -> None:
    open_overview(page)
    rows = api("/api/production/jobs/summary/", groupby="computingsite", jobstatus="failed", hours=12)["data"]
    most = max(r["count"] for r in rows)
    first = card(page, "queues").locator("tbody tr").first
    nickname = first.locator("td").nth(0).inner_text()
    assert int(first.locator("td").nth(1).inner_text()) == most
    assert query_of(first.locator("td").nth(1).locator("a").get_attribute("href")) == {
        "computingsite": nickname, "jobstatus": "failed", "hours": "12"}
    first.locator("td").nth(0).locator("a").click()
    page.wait_for_url(f"**/sites/{nickname}/?hours=12")
    wait_ready(page, "sites")
    expect(page.locator("#pj-panel-sites .pj-title")).to_have_text(f"Queue {nickname}")


def test_the_top_error_links_to_its_failed_jobs(page: Page) -> None:
    open_overview(page)
    top = api("/api/production/errors/", hours=12)["data"]["by_code"][0]
    first = card(page, "errors").locator("tbody tr").first
    assert first.locator("td").nth(0).inner_text() == f"{top['component']} {top['code']}"
    assert first.locator("td").nth(2).inner_text() == str(top["count"])
    href = first.locator("td").nth(0).locator("a").get_attribute("href")
    assert urlsplit(href or "").path == "/production/jobs/"
    params = query_of(href)
    assert params["jobstatus"] == "failed" and params["hours"] == "12" and str(top["code"]) in params.values()
    assert card(page, "errors").locator("h2 a").get_attribute("href") == "/production/errors/?hours=12"


def test_workers_by_status_and_the_data_s_age_link_to_their_views(page: Page) -> None:
    open_overview(page)
    info = api("/api/autopilot/info/", hours=12)["data"]
    workers = card(page, "workers").locator(".pj-countline .pj-count")
    assert workers.count() == len(info["workers"]["by_status"])
    status, count = workers.first.inner_text().rsplit(":", 1)
    assert info["workers"]["by_status"][status] == int(count)
    assert query_of(workers.first.locator("a").get_attribute("href")) == {"status": status, "hours": "12"}
    ages = card(page, "age").locator("tr")
    expect(ages).to_have_count(3)
    expect(ages.nth(1)).to_contain_text("newest job change")
    assert ages.nth(1).locator("a").get_attribute("href") == "/production/jobs/?hours=12"
    expect(ages.nth(2)).to_contain_text("newest worker update")


def test_a_section_closed_to_the_visitor_has_no_card_and_asks_nothing(
    new_page: Callable[..., Page], pandjango_config: Callable[[str, Any], None], console: Console
) -> None:
    pandjango_config("sections.stats.state", "beta")
    page = new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_overview(page)
    expect(card(page, "timeseries")).to_have_count(0)
    expect(card(page, "jobs")).to_have_count(1)
    assert not [u for u in requests if "/api/stats/" in u]
    assert console.errors == []
