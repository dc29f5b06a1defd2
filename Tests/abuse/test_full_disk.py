"""Issue #15 row 10: a full disk is told truthfully.

Ingest on a full disk answers 503 `unavailable` with `Retry-After`; `/readyz` answers 503 (store
not writable) until a write succeeds again; nothing acknowledged is lost.
Needs root (a small tmpfs is mounted as the data folder's parent); skipped otherwise.
"""

from __future__ import annotations

import ctypes
import os
import signal

import pytest

from conftest import KIB, Herald, assert_json_error, big_event, read_all_events, wait_until

MNT_DETACH = 2


def _mount_tmpfs(target, size: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"tmpfs", str(target).encode(), b"tmpfs", 0, f"size={size},mode=0700".encode()) != 0:
        error = ctypes.get_errno()
        pytest.skip(f"cannot mount a tmpfs at {target}: {os.strerror(error)} (needs root with CAP_SYS_ADMIN)")


def _unmount(target) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.umount2(str(target).encode(), MNT_DETACH)


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a tmpfs mount, which needs root")
    target = tmp_path / "disk"
    target.mkdir()
    _mount_tmpfs(target, "16m")
    try:
        yield target
    finally:
        _unmount(target)


@pytest.mark.timeout(90)
def test_full_disk_answers_503_with_retry_after_and_readyz_tells(small_disk, tmp_path):
    """Row 10: on a full 16 MiB tmpfs, ingest answers 503 `unavailable` with Retry-After and the JSON
    error body, /readyz answers 503 while the store cannot be written (before: no Retry-After, and
    /readyz said ready); after room is made and one ingest succeeds, /readyz answers 200; every
    acknowledged event is there, also after a restart."""
    server = Herald(small_disk / "data", [], "info")
    # The log lives outside the small disk: it must not be what fills it, nor fail with it.
    server.log = tmp_path / "full-disk.log"
    server.start()
    try:
        assert server.request("GET", "/readyz").status == 200
        # Most of the disk goes to a filler file, so the store fills it after a few events.
        filler = small_disk / "filler"
        with open(filler, "wb") as f:
            f.write(b"\0" * (11 * 1024 * KIB))
        acknowledged = {}
        refused = None
        for i in range(200):
            answer = server.publish([big_event("full", i, 100 * KIB) for i in range(i * 5, i * 5 + 5)])
            if answer.status == 200:
                for event in answer.json()["events"]:
                    acknowledged[event["id"]] = event["seq"]
                continue
            refused = answer
            break
        assert refused is not None, "16 MiB of tmpfs took 100 MB of events"
        print(f"{len(acknowledged)} events acknowledged before {refused.status}")
        assert_json_error(refused, (503,), "unavailable")
        retry_after = refused.headers.get("retry-after", "")
        assert retry_after.strip().isdigit() and int(retry_after) >= 1, f"no Retry-After on a full disk: {refused!r}"

        ready = server.request("GET", "/readyz")
        assert ready.status == 503, f"/readyz while the store cannot be written: {ready!r}"
        # Reads keep working.
        assert server.request("GET", "/v1/runs/full/events?limit=1").status == 200

        filler.unlink()
        wait_until(lambda: server.publish([{"run": "full", "type": "test.after"}]).status == 200, timeout=10,
                   message="no ingest succeeded after room was made")
        wait_until(lambda: server.request("GET", "/readyz").status == 200, timeout=5,
                   message="/readyz still answers 503 after a write succeeded")

        stored = {event["id"]: event["seq"] for event in read_all_events(server, "full")}
        assert all(stored.get(i) == s for i, s in acknowledged.items()), "an acknowledged event was lost"
        code = server.stop(signal.SIGTERM)
        assert code == 0, f"exit status {code} after a full disk"
        server.restart()
        stored = {event["id"]: event["seq"] for event in read_all_events(server, "full")}
        assert all(stored.get(i) == s for i, s in acknowledged.items()), "an acknowledged event was lost in the restart"
    finally:
        server.stop(signal.SIGKILL)
