"""The runs board in headless Chromium: search by name, filters by status and start time, pages
beyond the first, and the sparkline of each run's event rate.

Run with Tests/browser/run.sh. HERALD_BIN points at the herald binary.
"""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import js
from support import wait_for
from timeline_support import iso, now_ms


def rows(browser):
    return js(browser, "[...document.querySelectorAll('#runs tbody tr[data-run]')].map(r => r.dataset.run)")


def page_info(browser):
    return js(browser, "document.getElementById('page-info').textContent")


def test_search_filters_and_pages(server, browser):
    now = now_ms()
    events = []
    for i in range(30):  # 30 recent runs: alpha-0 … alpha-19 completed, beta-0 … beta-9 failed
        name, end = (f"alpha-{i}", "run.completed") if i < 20 else (f"beta-{i - 20}", "run.failed")
        events += [{"run": name, "type": "run.started", "time": iso(now - 60_000 + i), "data": {"name": f"Nightly {name}"}},
                   {"run": name, "type": end, "time": iso(now - 50_000 + i), "data": {"error": "boom"} if end == "run.failed" else {}}]
    for i in range(3):  # three old runs, started three days ago
        events += [{"run": f"old-{i}", "type": "run.started", "time": iso(now - 3 * 86_400_000 + i)}]
    server.post(events)
    every = {e["run"] for e in events}

    browser.get(server.url + "/")
    wait_for(lambda: len(rows(browser)) == 25, 20, "a first page of 25 runs")
    first = rows(browser)
    assert page_info(browser) == "Page 1" and browser.find_element(By.ID, "page-prev").get_attribute("disabled")
    browser.find_element(By.ID, "page-next").click()
    wait_for(lambda: page_info(browser) == "Page 2", 10, "the second page")
    second = wait_for(lambda: rows(browser) if rows(browser) != first else None, 10, "other runs")
    assert len(second) == 8 and set(first) | set(second) == every and not set(first) & set(second)
    assert browser.find_element(By.ID, "page-next").get_attribute("disabled")
    browser.find_element(By.ID, "page-prev").click()
    wait_for(lambda: rows(browser) == first, 10, "the first page again")

    # Search by name (the run's name or its data.name), as the reader types.
    browser.find_element(By.ID, "run-search").send_keys("beta")
    wait_for(lambda: sorted(rows(browser)) == sorted(f"beta-{i}" for i in range(10)), 10, "only the beta runs")
    assert "q=beta" in browser.current_url
    search = browser.find_element(By.ID, "run-search")
    search.clear()
    search.send_keys("nightly alpha-1")  # data.name "Nightly alpha-1…": alpha-1 and alpha-10 … alpha-19
    wait_for(lambda: sorted(rows(browser)) == sorted(["alpha-1"] + [f"alpha-{i}" for i in range(10, 20)]), 10, "the runs named so")

    # Status and time filters keep the search (in the link) and combine with it.
    Select(browser.find_element(By.ID, "status-filter")).select_by_value("failed")
    wait_for(lambda: rows(browser) == [], 10, "no failed alpha-1 run")
    browser.get(server.url + "/#/?status=all")
    Select(browser.find_element(By.ID, "time-filter")).select_by_value("24h")
    wait_for(lambda: len(rows(browser)) == 25 and page_info(browser) == "Page 1", 10, "the recent runs")
    browser.find_element(By.ID, "page-next").click()
    wait_for(lambda: page_info(browser) == "Page 2" and len(rows(browser)) == 5, 10, "the rest of the recent runs")
    assert not any(r.startswith("old-") for r in rows(browser))
    Select(browser.find_element(By.ID, "time-filter")).select_by_value("")
    browser.find_element(By.ID, "run-search").send_keys("old")
    wait_for(lambda: sorted(rows(browser)) == ["old-0", "old-1", "old-2"], 10, "the old runs, with any time")


def test_a_sparkline_shows_a_runs_event_rate(server, browser):
    start = now_ms() - 100_000
    # 200 events in the first 10 s, then 20 over the next 90 s: the line falls.
    times = [start + i * 50 for i in range(200)] + [start + 10_000 + i * 4_500 for i in range(1, 21)]
    server.post([{"run": "bursty", "type": "run.started", "time": iso(times[0])}]
                + [{"run": "bursty", "type": "my.tick", "time": iso(t)} for t in times[1:]])
    browser.get(server.url + "/")
    line = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "tr[data-run='bursty'] svg.sparkline"), 20, "the sparkline")[0]
    values = [float(v) for v in line.get_attribute("data-values").split(",")]
    assert len(values) == 20
    assert abs(sum(values) - len(times)) < 1, "the buckets hold every event"
    assert values[0] > 5 * max(values[-5:]), f"the burst first, then a trickle: {values}"
    assert js(browser, "document.querySelector(\"tr[data-run='bursty'] svg.sparkline\").getAttribute('aria-label')").startswith("Event rate")
