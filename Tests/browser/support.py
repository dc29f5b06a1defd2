"""Helpers the browser tests share."""

import time


def wait_for(predicate, timeout, what, detail=lambda: "", interval=0.05):
    """Polls `predicate` until it returns something truthy, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; {detail()}")
        time.sleep(interval)


def chromium_options(options, profile, *extra):
    """Headless Chromium settings for tests, plus `extra` arguments."""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", *extra):
        options.add_argument(arg)
    return options
