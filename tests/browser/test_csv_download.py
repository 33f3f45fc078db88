"""The CSV button of a table downloads the same API answer as CSV (`format=csv`)."""

from __future__ import annotations

import csv
from pathlib import Path

from playwright.sync_api import Page

from .conftest import BROWSER_MARKS, Console, wait_ready

pytestmark = BROWSER_MARKS


def test_the_csv_button_downloads_the_tables_rows(page: Page, console: Console) -> None:
    page.goto("/production/jobs/?days=4&limit=25&jobstatus=failed")
    wait_ready(page, "production")
    button = page.locator("#pj-panel-production a.pj-csv").last
    assert button.get_attribute("href") == "/api/production/jobs/?days=4&limit=25&jobstatus=failed&format=csv"
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "production-jobs.csv"
    with Path(download.value.path()).open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert 0 < len(rows) <= 25 and {row["jobstatus"] for row in rows} == {"failed"}
    shown = page.locator("#pj-panel-production table.pj-table tbody tr").count()
    assert len(rows) == shown or shown == 25
    assert console.errors == []


def test_each_table_of_a_summary_offers_its_csv(page: Page) -> None:
    page.goto("/production/errors/")
    wait_ready(page, "production")
    tables = page.locator("#pj-panel-production table.pj-table").count()
    links = page.locator("#pj-panel-production a.pj-csv").all()
    assert tables and len(links) == tables
    [href] = {link.get_attribute("href") for link in links}
    assert href is not None and href.startswith("/api/production/errors/") and href.endswith("format=csv")


def test_the_reshaped_tables_of_stats_offer_their_answers_csv(page: Page, console: Console) -> None:
    # The matrix pivots its answer into rows of its own, the efficiency table flattens its
    # answer: both offer the API answer they were drawn from.
    page.goto("/stats/jobs/?rows=cloud&cols=jobstatus")
    wait_ready(page, "stats")
    [matrix_link] = page.locator("#pj-panel-stats a.pj-csv").all()
    href = matrix_link.get_attribute("href")
    assert href is not None and href.startswith("/api/stats/jobs/?") and "rows=cloud" in href and href.endswith("format=csv")
    with page.expect_download() as download:
        matrix_link.click()
    with Path(download.value.path()).open(newline="") as f:
        cells = list(csv.DictReader(f))
    assert cells and {"cloud", "jobstatus", "count"} <= set(cells[0])

    page.goto("/stats/sites/")
    wait_ready(page, "stats")
    [sites_link] = page.locator("#pj-panel-stats a.pj-csv").all()
    href = sites_link.get_attribute("href")
    assert href is not None and href.startswith("/api/stats/sites/?") and href.endswith("format=csv")
    assert console.errors == []
