"""The compiled-weeks profile (benchmarks/profile_processes.py --compiled): it times the model's own loop, whose
numbers it leaves unchanged, and accounts for a run's wall time."""

from __future__ import annotations

import platform
import re

import pandas as pd
import pytest

from abm.run import run_once

pytestmark = pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 cycle counter")

ODD_PROCESSES = ("milestone", "patient transitions", "planned interactions", "trust", "consensus", "engagement",
                 "data sharing", "workload", "partner exit", "observation")  # fmt: skip


@pytest.fixture(scope="module")
def clock():
    from benchmarks.timed_weeks import Clocked

    return Clocked()  # compiles the timed loop once (~15 s)


def test_timed_weeks_compute_the_models_numbers_and_time_every_process(clock):
    plain = [run_once("P4", seed=s) for s in (3, 11)]
    clock.counts[:] = 0
    with clock:
        timed = [run_once("P4", seed=s) for s in (3, 11)]
    for a, b in zip(plain, timed, strict=True):
        pd.testing.assert_frame_equal(a.steps, b.steps)
        pd.testing.assert_frame_equal(a.milestones, b.milestones)
    assert len(clock.names) == len(ODD_PROCESSES)
    for name, expected in zip(clock.names, ODD_PROCESSES, strict=True):
        assert name.startswith(expected), clock.names
    assert (clock.counts[1:] > 0).all(), clock.counts  # P4 runs every process, and has configured events
    assert clock.calls >= 2
    from abm import engine

    assert engine.run_weeks is not clock.function  # the plain loop is back after the block


def test_compiled_profile_accounts_for_the_run(capsys):
    from benchmarks.profile_processes import main

    assert main(["P3", "--runs", "4", "--compiled"]) == 0
    out = capsys.readouterr().out
    rows = {m.group(1).strip(): (float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in re.finditer(r"^(.+?)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)%$", out, re.M)}  # fmt: skip
    processes = [k for k in rows if re.match(r"\d+\. ", k)]
    assert len(processes) == len(ODD_PROCESSES), out
    # the cycle counter's rate is right: what the loop counts is a real part of the run's wall time (about half of
    # a 104-week P3 run on the development machine), never more than all of it
    assert rows["construction"][1] > 0
    assert rows["Python: calls, mergers, tables, summary"][1] > 0, out
    assert 20.0 < rows["compiled weeks (sum)"][2] < 100.0, out


def test_profile_refuses_bad_input_with_one_line(capsys):
    from benchmarks.profile_processes import main

    assert main(["P9", "--compiled"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("profile_processes: P9") and "Traceback" not in err
    with pytest.raises(SystemExit) as e:
        main(["P4", "--runs", "0", "--compiled"])
    assert e.value.code == 2
    assert "--runs: expected a whole number of at least 1, got 0" in capsys.readouterr().err
    assert main(["300:20"]) == 2
    assert "a synthetic region needs 1 <= organizations <= clinicians" in capsys.readouterr().err


def test_profile_takes_a_synthetic_region_as_the_speed_benchmark_builds_it(capsys):
    from benchmarks.profile_processes import main

    assert main(["4:40", "--core", "--runs", "1", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4:40: 1 runs x 3 steps")
    assert re.search(r"^update_trust\s+[\d.]+", out, re.M), out
    from abm.synthetic import n_clinicians_of
    from benchmarks.profile_processes import _scenario

    sc = _scenario("4:40")
    assert len(sc.organizations) == 4 and n_clinicians_of(sc) == 40
