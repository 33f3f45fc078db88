"""The dashboard in a real Chromium: every tab and view, drill-down, history, bookmarks,
sorting, long lists, hostile text and API errors."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from pandjango.pandadb.models import HarvesterRelJobsWorkers, HarvesterWorkers, JobsActive4, JobsArchived4

from .conftest import BROWSER_MARKS, Console, screenshot, wait_ready

pytestmark = BROWSER_MARKS

VIEWS = {
    "autopilot": ["pilots/", "queues/", "submithosts/", "services/", "pilottypes/", "info/"],
    "production": ["jobs/", "tasks/", "errors/"],
    "sites": ["", "clouds/"],
    "stats": ["jobs/", "timeseries/", "sites/"],
}
HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">stage-in failed'


def tab_names(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#pj-tabs > ul > li").all_inner_texts()]


def test_every_tab_and_view_loads_without_console_errors(staff_page: Page, console: Console) -> None:
    page = staff_page
    for section, views in VIEWS.items():
        for view in views:
            page.goto(f"/{section}/{view}")
            wait_ready(page, section)
            panel = page.locator(f"#pj-panel-{section}")
            expect(panel.locator(".pj-error-box")).to_have_count(0)
            expect(panel.locator(".pj-age")).to_have_text(re.compile(r"\d+ (s|min) old"))
            screenshot(page, f"{section}-{view.strip('/') or 'queues'}")
    assert console.errors == []


def test_the_tabs_are_the_sections_this_user_may_see_with_beta_marked(
    page: Page, new_page: Callable[..., Page], staff: User, pandjango_config: Callable[[str, Any], None]
) -> None:
    pandjango_config("sections.stats.state", "beta")
    pandjango_config("sections.autopilot.state", "off")
    page.goto("/sites/")
    wait_ready(page, "sites")
    assert tab_names(page) == ["Production", "Sites"]
    assert page.goto("/stats/").status == 403
    staff_page = new_page(staff)
    staff_page.goto("/sites/")
    wait_ready(staff_page, "sites")
    assert tab_names(staff_page) == ["Production", "Sites", "Stats beta"]
    expect(staff_page.locator("#pj-tabs li[data-section='stats'] .pj-beta")).to_be_visible()


def test_a_tab_switches_the_section_and_gets_its_own_url(page: Page) -> None:
    page.goto("/autopilot/")
    wait_ready(page, "autopilot")
    page.click("#pj-tabs a:has-text('Production')")
    page.wait_for_url("**/production/")
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-title")).to_have_text("Jobs")
    page.go_back()
    page.wait_for_url("**/autopilot/")
    expect(page.locator("#pj-panel-autopilot")).to_be_visible()


def failed_job_with_a_pilot() -> Any:
    """A failed job of the last 12 hours that a Harvester worker ran."""
    since = timezone.now() - timedelta(hours=11)
    ran = HarvesterRelJobsWorkers.objects.values("pandaid")
    job = JobsArchived4.objects.filter(jobstatus="failed", modificationtime__gte=since, pandaid__in=ran).order_by("-modificationtime").first()
    if job is None:
        pytest.fail("the seeded data has no recent failed job with a known pilot")
    return job


def test_a_drill_down_from_a_queue_to_a_failed_job_to_its_pilot(page: Page, console: Console) -> None:
    job = failed_job_with_a_pilot()
    queue = job.computingsite
    page.goto(f"/sites/?nickname={queue}")
    wait_ready(page, "sites")
    page.click(f"#pj-panel-sites table.pj-table a[href='/sites/{queue}/']")
    page.wait_for_url(f"**/sites/{queue}/")
    wait_ready(page, "sites")
    expect(page.locator("#pj-panel-sites .pj-title")).to_have_text(f"Queue {queue}")

    page.click("#pj-panel-sites table.pj-table a:text-is('failed')")
    page.wait_for_url(re.compile(r"/production/jobs/\?"))
    assert "computingsite=" + queue in page.url and "jobstatus=failed" in page.url
    wait_ready(page, "production")
    states = page.locator("#pj-panel-production table.pj-table tbody td:nth-child(2)").all_inner_texts()
    assert states and set(states) == {"failed"}

    if page.locator("#pj-panel-production .dt-search input").count():
        page.fill("#pj-panel-production .dt-search input", str(job.pandaid))
    page.click(f"#pj-panel-production a[href='/production/jobs/{job.pandaid}/']")
    page.wait_for_url(f"**/production/jobs/{job.pandaid}/")
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-errors")).to_be_visible()

    worker = HarvesterRelJobsWorkers.objects.get(pandaid=job.pandaid)
    page.click("#pj-panel-production a.pj-pilot-link")
    page.wait_for_url(f"**/autopilot/pilots/{worker.harvesterid}/{worker.workerid}/")
    wait_ready(page, "autopilot")
    expect(page.locator("#pj-panel-autopilot .pj-title")).to_have_text(f"Pilot {worker.workerid} of {worker.harvesterid}")
    expect(page.locator("#pj-panel-autopilot")).to_contain_text(str(job.pandaid))
    assert console.errors == []


def test_a_queue_s_worker_count_opens_its_workers_of_that_status(page: Page, console: Console) -> None:
    since = timezone.now() - timedelta(hours=11)
    worker = HarvesterWorkers.objects.filter(status="running", lastupdate__gte=since).order_by("computingsite").first()
    assert worker is not None
    queue = worker.computingsite
    page.goto(f"/autopilot/queues/?nickname={queue}")
    wait_ready(page, "autopilot")
    count = page.locator("#pj-panel-autopilot table.pj-table a[href*='status=running']").last
    shown = int(count.inner_text())
    count.click()
    page.wait_for_url(re.compile(r"/autopilot/pilots/\?"))
    assert f"computingsite={queue}" in page.url and "status=running" in page.url
    wait_ready(page, "autopilot")
    rows = page.locator("#pj-panel-autopilot table.pj-table tbody tr")
    expect(rows).to_have_count(shown)
    assert set(column_values(page, "autopilot", 8)) == {"running"} and set(column_values(page, "autopilot", 3)) == {queue}
    assert console.errors == []


def test_back_and_forward_restore_the_view_and_its_filters(page: Page) -> None:
    page.goto("/production/jobs/")
    wait_ready(page, "production")
    state_input = page.locator("#pj-panel-production .pj-filterbar input[name='jobstatus']")
    state_input.fill("failed")
    page.click("#pj-panel-production .pj-filterbar button[type='submit']")
    page.wait_for_url("**/production/jobs/?jobstatus=failed")
    wait_ready(page, "production")
    queue = page.locator("#pj-panel-production table.pj-table tbody td:nth-child(3) a").first
    queue_name = queue.inner_text()
    queue.click()
    page.wait_for_url(re.compile(r"computingsite="))
    wait_ready(page, "production")
    expect(state_input).to_have_value("failed")
    expect(page.locator("#pj-panel-production .pj-filterbar input[name='computingsite']")).to_have_value(queue_name)

    page.go_back()
    page.wait_for_url("**/production/jobs/?jobstatus=failed")
    wait_ready(page, "production")
    expect(state_input).to_have_value("failed")
    expect(page.locator("#pj-panel-production .pj-filterbar input[name='computingsite']")).to_have_value("")
    assert set(page.locator("#pj-panel-production table.pj-table tbody td:nth-child(2)").all_inner_texts()) == {"failed"}

    page.go_back()
    page.wait_for_url(re.compile(r"/production/jobs/$"))
    wait_ready(page, "production")
    expect(state_input).to_have_value("")

    page.go_forward()
    page.wait_for_url("**/production/jobs/?jobstatus=failed")
    wait_ready(page, "production")
    expect(state_input).to_have_value("failed")
    page.go_forward()
    page.wait_for_url(re.compile(r"computingsite="))
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-filterbar input[name='computingsite']")).to_have_value(queue_name)


def test_a_bookmarked_url_opened_cold_shows_the_same_view(new_page: Callable[..., Page]) -> None:
    job = failed_job_with_a_pilot()
    url = f"/production/jobs/?jobstatus=failed&computingsite={job.computingsite}"
    first = new_page()
    first.goto("/production/jobs/")
    wait_ready(first, "production")
    first.fill("#pj-panel-production .pj-filterbar input[name='jobstatus']", "failed")
    first.fill("#pj-panel-production .pj-filterbar input[name='computingsite']", job.computingsite)
    first.click("#pj-panel-production .pj-filterbar button[type='submit']")
    first.wait_for_url(re.compile(r"computingsite="))
    wait_ready(first, "production")
    assert first.url.endswith(url)
    shown = first.locator("#pj-panel-production table.pj-table tbody td:nth-child(1)").all_inner_texts()

    cold = new_page()
    cold.goto(url)
    wait_ready(cold, "production")
    expect(cold.locator("#pj-panel-production .pj-title")).to_have_text(f"Jobs: jobstatus failed, computingsite {job.computingsite}")
    expect(cold.locator("#pj-panel-production .pj-filterbar input[name='jobstatus']")).to_have_value("failed")
    assert cold.locator("#pj-panel-production table.pj-table tbody td:nth-child(1)").all_inner_texts() == shown
    assert str(job.pandaid) in shown


def column_values(page: Page, panel: str, column: int) -> list[str]:
    return page.locator(f"#pj-panel-{panel} table.pj-table tbody td:nth-child({column})").all_inner_texts()


SORTED_JS = """([selector, numeric, descending]) => {
    const cells = Array.from(document.querySelectorAll(selector)).map((td) => td.textContent);
    const values = numeric ? cells.map(Number) : cells;
    const ordered = [...values].sort((a, b) => (numeric ? a - b : a < b ? -1 : a > b ? 1 : 0));
    if (descending) ordered.reverse();
    return cells.length > 1 && JSON.stringify(values) === JSON.stringify(ordered);
}"""


def wait_sorted(page: Page, panel: str, column: int, numeric: bool, descending: bool) -> None:
    """DataTables redraws a moment after the click: waits for the column to be in order."""
    selector = f"#pj-panel-{panel} table.pj-table tbody td:nth-child({column})"
    page.wait_for_function(SORTED_JS, arg=[selector, numeric, descending], timeout=5000)


def test_a_table_sorts_by_the_clicked_column_and_keeps_it_across_history(page: Page) -> None:
    page.goto("/production/jobs/?limit=1000")
    wait_ready(page, "production")
    headers = page.locator("#pj-panel-production table.pj-table thead th")
    headers.nth(0).click()
    wait_sorted(page, "production", 1, numeric=True, descending=False)
    headers.nth(0).click()
    wait_sorted(page, "production", 1, numeric=True, descending=True)
    headers.nth(2).click()
    wait_sorted(page, "production", 3, numeric=False, descending=False)
    shown = column_values(page, "production", 1)

    page.click("#pj-panel-production .pj-subnav a:text-is('Tasks')")
    page.wait_for_url("**/production/tasks/")
    wait_ready(page, "production")
    page.go_back()
    page.wait_for_url("**/production/jobs/?limit=1000")
    wait_ready(page, "production")
    wait_sorted(page, "production", 3, numeric=False, descending=False)
    assert column_values(page, "production", 1) == shown


@pytest.fixture
def hostile_job() -> Iterator[int]:
    """A holding job whose pilot error diag is an XSS attempt."""
    template = JobsActive4.objects.order_by("pandaid").first()
    assert template is not None
    pandaid = 9_900_000_001
    values = {f.attname: getattr(template, f.attname) for f in JobsActive4._meta.concrete_fields}
    values.update(pandaid=pandaid, jobstatus="holding", piloterrorcode=1099, piloterrordiag=HOSTILE, modificationtime=timezone.now())
    JobsActive4.objects.create(**values)
    yield pandaid
    JobsActive4.objects.filter(pandaid=pandaid).delete()


def test_a_hostile_error_diag_is_shown_as_text(page: Page, hostile_job: int, console: Console) -> None:
    page.goto(f"/production/jobs/{hostile_job}/")
    wait_ready(page, "production")
    diag = page.locator("#pj-panel-production .pj-errors td.pj-diag")
    expect(diag).to_have_text(HOSTILE)
    assert page.locator("#pj-panel-production script, #pj-panel-production img").count() == 0
    assert page.evaluate("window.__xss") is None

    page.goto(f"/production/jobs/?pandaid={hostile_job}&fields=pandaid,jobstatus,computingsite,piloterrorcode,piloterrordiag")
    wait_ready(page, "production")
    assert page.evaluate("window.__xss") is None
    assert console.errors == []


def test_an_api_error_is_shown_as_a_message_in_the_page(page: Page) -> None:
    page.goto("/production/jobs/?hours=many")
    wait_ready(page, "production")
    box = page.locator("#pj-panel-production .pj-error-box").first
    expect(box).to_contain_text("Error 400")
    expect(box).to_contain_text("hours must be a positive integer")

    page.goto("/production/jobs/1/")
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-error-box")).to_contain_text("no job with pandaid 1")

    page.goto("/sites/no/such/view/")
    expect(page.locator("#pj-panel-sites .pj-error-box")).to_contain_text("There is no view at /sites/no/such/view/")


def test_the_update_button_reads_the_data_again(page: Page) -> None:
    page.goto("/autopilot/services/")
    wait_ready(page, "autopilot")
    expect(page.locator("#pj-panel-autopilot .pj-age")).to_have_text(re.compile(r"^\d+ s old$"))
    with page.expect_request(re.compile(r"/api/autopilot/services/")):
        page.click("#pj-panel-autopilot .pj-update")
    wait_ready(page, "autopilot")
    expect(page.locator("#pj-panel-autopilot table.pj-table tbody tr").first).to_be_visible()


def test_a_list_of_ten_thousand_jobs_stays_responsive(page: Page) -> None:
    now = timezone.now()
    rows = [
        {
            "pandaid": 7_000_000_000 + i, "jobstatus": ("failed", "finished", "running")[i % 3],
            "computingsite": f"QUEUE_{i % 97:02d}", "produsername": f"user{i % 13}", "jeditaskid": 40_000_000 + i % 50,
            "prodsourcelabel": "managed", "transformation": "Sim_tf.py",
            "creationtime": (now - timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "modificationtime": (now - timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "attemptnr": 1, "piloterrorcode": 1099 if i % 3 == 0 else 0,
        }
        for i in range(10_000)
    ]
    body = json.dumps({"data": rows, "meta": {"generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "limit": 10000, "count": 10000, "truncated": False}})

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=body)

    page.route(re.compile(r"/api/production/jobs/\?"), serve)
    started = time.monotonic()
    page.goto("/production/jobs/?limit=10000")
    wait_ready(page, "production")
    drawn = time.monotonic() - started
    expect(page.locator("#pj-panel-production .pj-listsummary")).to_contain_text("10000 jobs")
    assert page.locator("#pj-panel-production table.pj-table tbody tr").count() == 50  # one page drawn
    started = time.monotonic()
    page.locator("#pj-panel-production table.pj-table thead th").nth(0).click()
    wait_sorted(page, "production", 1, numeric=True, descending=False)
    expect(page.locator("#pj-panel-production table.pj-table tbody td").first).to_have_text("7000000000")
    sorted_in = time.monotonic() - started
    assert drawn < 8 and sorted_in < 3, (drawn, sorted_in)


def test_a_jobs_matrix_cell_opens_the_matching_jobs(staff_page: Page) -> None:
    page = staff_page
    page.goto("/stats/jobs/?rows=cloud&cols=jobstatus")
    wait_ready(page, "stats")
    headers = page.locator("#pj-panel-stats table.pj-table thead th").all_inner_texts()
    failed_column = [h.strip() for h in headers].index("failed") + 1
    cell = page.locator(f"#pj-panel-stats table.pj-table tbody tr:first-child td:nth-child({failed_column}) a")
    cloud = page.locator("#pj-panel-stats table.pj-table tbody tr:first-child td:nth-child(1)").inner_text()
    count = int(cell.inner_text())
    cell.click()
    page.wait_for_url(re.compile(r"/production/jobs/\?"))
    assert f"cloud={cloud}" in page.url and "jobstatus=failed" in page.url
    wait_ready(page, "production")
    expect(page.locator("#pj-panel-production .pj-facets")).to_contain_text(f"failed:{count}")


def test_the_time_series_view_plots_finished_and_failed_jobs_and_submitted_pilots(staff_page: Page) -> None:
    page = staff_page
    page.goto("/stats/timeseries/?hours=24&bin=1h")
    wait_ready(page, "stats")
    titles = page.locator("#pj-panel-stats .pj-plot-title").all_inner_texts()
    assert titles == ["Finished jobs", "Failed jobs", "Submitted pilots"]
    expect(page.locator("#pj-panel-stats .pj-plot canvas")).to_have_count(3)


def test_the_quick_search_opens_what_it_finds(page: Page) -> None:
    job = failed_job_with_a_pilot()
    page.goto("/autopilot/")
    wait_ready(page, "autopilot")
    page.fill(".pj-search input[name='q']", job.computingsite)
    page.press(".pj-search input[name='q']", "Enter")
    page.wait_for_url(f"**/sites/{job.computingsite}/")
    wait_ready(page, "sites")
    expect(page.locator("#pj-panel-sites .pj-title")).to_have_text(f"Queue {job.computingsite}")
