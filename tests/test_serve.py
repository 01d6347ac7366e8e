"""`samplan serve`: workers from the core count, and a gunicorn control socket per server."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from samplan.core.management.commands.serve import (
    DEFAULT_SERVER,
    SERVERS,
    control_socket_path,
    default_workers,
)


def test_workers_follow_the_cores() -> None:
    assert default_workers("gthread", cores=2) == 4
    assert default_workers("sync", cores=2) == 5
    assert default_workers("granian", cores=2) == 2
    assert default_workers("gthread", cores=8) == 16
    assert DEFAULT_SERVER in SERVERS


def test_two_servers_on_one_host_have_control_sockets_of_their_own() -> None:
    first = control_socket_path("127.0.0.1", 8000)
    second = control_socket_path("127.0.0.1", 8001)
    other_host = control_socket_path("0.0.0.0", 8000)
    assert len({first, second, other_host}) == 3
    assert Path(first).parent.is_dir()
    assert len(first.encode()) <= 107  # a Unix socket's path limit
    if len(str(Path(settings.DATA_DIR)).encode()) < 60:
        assert first.startswith(str(settings.DATA_DIR))


def test_stopping_the_server_leaves_none_of_its_processes_running() -> None:
    """At shutdown the sealer and the other loops get SIGTERM together; one that does not
    stop in time is killed, not left behind (issue 12: a killed bench server left its loops
    running against the database)."""
    import subprocess
    import sys
    import time

    from samplan.core.management.commands.serve import stop_processes

    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    polite = "import time; print('ready', flush=True); time.sleep(60)"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        for code in (stubborn, polite)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
    started = time.monotonic()
    stop_processes(processes, 1.0)
    assert time.monotonic() - started < 10
    assert [p.poll() for p in processes] == [-9, -15]
