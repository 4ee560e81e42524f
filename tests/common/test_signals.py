"""SIGINT and SIGTERM as a stop request, the same way for every service."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from services.common.signals import StopSignals, terminate_as_interrupt


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_both_signals_request_a_stop_and_the_handlers_come_back():
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 0)):
        with StopSignals() as stop:
            assert StopSignals.installed() is stop
            os.kill(os.getpid(), sig)
            assert stop.requested.is_set() and stop.name == sig.name
        assert stop.exit_code == code
        assert {s: signal.getsignal(s) for s in before} == before
    assert StopSignals.installed() is None


def test_a_repeat_counts_only_after_the_gap_and_reactions_run_once_each():
    clock, seen = Clock(), []
    stop = StopSignals(on_first=lambda name: seen.append(("first", name)),
                       on_repeat=lambda name: seen.append(("again", name)),
                       repeat_gap=1.0, clock=clock)
    stop.handle(signal.SIGTERM)
    clock.now += 0.5
    stop.handle(signal.SIGINT)  # the same stop delivered twice (`timeout`, a terminal)
    assert not stop.repeated.is_set()
    clock.now += 0.5
    stop.handle(signal.SIGINT)
    stop.handle(signal.SIGINT)
    assert stop.repeated.is_set() and stop.name == "SIGTERM" and stop.exit_code == 0
    assert seen == [("first", "SIGTERM"), ("again", "SIGINT")]


def test_off_the_main_thread_signals_are_left_alone():
    seen = []
    before = signal.getsignal(signal.SIGINT)

    def body() -> None:
        with StopSignals() as stop:
            seen.append(stop)
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert len(seen) == 2 and seen[1] is before
    assert signal.getsignal(signal.SIGINT) is before


def test_sigterm_raises_as_ctrl_c_does_unless_an_owner_handles_the_signals():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before
    with StopSignals() as stop, terminate_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested.is_set() and stop.name == "SIGTERM"
