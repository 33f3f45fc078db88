"""Plots where people would rather look than read: a queue's jobs per hour, a task's progress,
the top error codes per hour; the jobs matrix's totals; tables that fit 1400 px."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import Page, expect

from pandjango.pandadb.models import JobsArchived4

from .conftest import BROWSER_MARKS, Console, wait_ready
from .test_overview import api, coloured_pixels

pytestmark = BROWSER_MARKS

# The pages with the widest tables.
WIDE_PAGES = {
    "autopilot": ["pilots/", "queues/", "submithosts/"],
    "production": ["jobs/?limit=1000", "tasks/", "errors/"],
    "sites": ["", "clouds/"],
    "stats": ["jobs/?rows=computingsite&cols=jobstatus", "sites/"],
}


def busiest(column: str) -> Any:
    """The value of a job column with the most failed jobs in the last 11 hours."""
    since = timezone.now() - timedelta(hours=11)
    return (JobsArchived4.objects.filter(jobstatus="failed", endtime__gte=since).values(column)
            .annotate(n=Count("pandaid")).order_by("-n", column)[0][column])


def test_a_queue_page_plots_its_finished_and_failed_jobs_per_hour(page: Page, console: Console) -> None:
    nickname = busiest("computingsite")
    page.goto(f"/sites/{nickname}/?hours=12")
    wait_ready(page, "sites")
    plot = page.locator("#pj-panel-sites [data-plot='queue-ended']")
    expect(plot.locator(".pj-plot-title")).to_have_text("Finished and failed jobs per hour")
    failed = api("/api/stats/timeseries/", metric="jobs_failed", computingsite=nickname, hours=12, bin="1h")["data"]
    assert sum(failed["series"][0]["values"]) > 0
    assert int(plot.locator(".pj-plot-area").get_attribute("data-points") or 0) == len(failed["bins"])
    assert coloured_pixels(plot.locator("canvas").first) > 100
    assert console.errors == []


def test_a_task_page_plots_its_progress_from_its_jobs_end_times(page: Page, console: Console) -> None:
    jeditaskid = busiest("jeditaskid")
    page.goto(f"/production/tasks/{jeditaskid}/")
    wait_ready(page, "production")
    plot = page.locator("#pj-panel-production [data-plot='task-progress']")
    expect(plot.locator(".pj-plot-title")).to_contain_text("Progress")
    expect(plot.locator(".u-legend")).to_contain_text("finished")
    assert int(plot.locator(".pj-plot-area").get_attribute("data-points") or 0) > 1
    assert coloured_pixels(plot.locator("canvas").first) > 100
    # Running totals: no shading of partial bins, for a total never drops.
    assert plot.locator(".pj-plot-area").get_attribute("data-partial") == ""
    assert console.errors == []


def test_the_errors_view_plots_its_top_codes_per_hour(page: Page, console: Console) -> None:
    page.goto("/production/errors/?hours=12")
    wait_ready(page, "production")
    plot = page.locator("#pj-panel-production [data-plot='errors-top-codes']")
    top = api("/api/production/errors/", hours=12)["data"]["by_code"][:5]
    legend = plot.locator(".u-legend")
    for row in top:
        expect(legend).to_contain_text(f"{row['component']} {row['code']}")
    assert coloured_pixels(plot.locator("canvas").first) > 100
    assert console.errors == []


def test_the_jobs_matrix_shows_the_answer_s_totals(staff_page: Page) -> None:
    page = staff_page
    page.goto("/stats/jobs/?rows=cloud&cols=jobstatus")
    wait_ready(page, "stats")
    data = api("/api/stats/jobs/", rows="cloud", cols="jobstatus")["data"]
    footer = [t.strip() for t in page.locator("#pj-panel-stats table.pj-table tfoot th").all_inner_texts()]
    headers = [t.strip() for t in page.locator("#pj-panel-stats table.pj-table thead th").all_inner_texts()]
    assert footer[0] == "total" and int(footer[-1]) == data["total"]
    failed = headers.index("failed")
    assert int(footer[failed]) == data["col_totals"][data["cols"].index("failed")]


def test_the_widest_tables_fit_1400_px(page: Page, console: Console) -> None:
    assert page.viewport_size == {"width": 1400, "height": 900}
    for section, views in WIDE_PAGES.items():
        for view in views:
            page.goto(f"/{section}/{view}")
            wait_ready(page, section)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1400, f"/{section}/{view} is {width} px wide"
            # No table scrolls sideways in its own box either.
            sideways = page.locator(".dt-layout-table").evaluate_all(
                "boxes => boxes.filter(b => b.offsetParent && b.scrollWidth > b.clientWidth + 1).length")
            assert sideways == 0, f"/{section}/{view}"
    assert console.errors == []


def test_hidden_columns_are_named_and_come_back_on_request(page: Page) -> None:
    page.goto("/autopilot/pilots/?hours=12")
    wait_ready(page, "autopilot")
    note = page.locator("#pj-panel-autopilot .pj-hidden-columns")
    expect(note).to_contain_text("Hidden to fit the page: ")
    shown = page.locator("#pj-panel-autopilot table.pj-table thead th").count()
    note.locator("button").click()
    expect(note).to_have_count(0)
    assert page.locator("#pj-panel-autopilot table.pj-table thead th").count() > shown
