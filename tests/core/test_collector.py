"""The cycle collector pause (core/collector.py)."""

from __future__ import annotations

import gc

from civicpulse.core import collector


def test_the_collector_is_off_inside_a_pause_and_back_on_after_it_even_after_an_error():
    assert gc.isenabled()
    try:
        with collector.paused():
            assert not gc.isenabled()
            with collector.paused():
                assert not gc.isenabled()
            # The inner pause found it off and leaves it off.
            assert not gc.isenabled()
            raise KeyError("boom")
    except KeyError:
        pass
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_someone_else_turned_off_as_it_found_it():
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_paused_function_runs_with_the_collector_off():
    @collector.paused()
    def inside() -> bool:
        return gc.isenabled()

    # Twice: the decorator makes a fresh pause for every call.
    assert (inside(), inside()) == (False, False)
    assert gc.isenabled()
