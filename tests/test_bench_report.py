"""bench/report.py turns measurements into ratio tables (no timing is asserted here:
the numbers below are made up to exercise the arithmetic of the report)."""

from bench import host, report


def _bench(impl, median, steps=10**7, **extra):
    return {"group": "machine", "name": impl, "stats": {"median": median, "min": median,
                                                          "rounds": 3},
            "extra_info": dict(implementation=impl, steps=steps, **extra)}


def test_a_target_is_judged_on_the_row_it_is_about():
    data = {"benchmarks": [
        _bench("fastlstm machine", 0.02),
        _bench("fastlstm", 0.15),
        _bench("jax jit(scan)", 0.5, target=20.0, target_by="fastlstm machine")],
        "host": {"cpu": "Test CPU", "isa": "AVX2 + FMA"}}
    text = report.render(data)
    row = next(line for line in text.splitlines() if line.startswith("| jax"))
    # machine: 0.5 / 0.02 = 25x over JAX (met), though plain fastlstm is only 3.33x
    assert "fastlstm machine ≥ 20x: 25x, met" in row
    assert "| 3.33 |" in row
    assert "Host: Test CPU, AVX2 + FMA." in text


def test_isa_names():
    assert host.isa({"avx2", "fma", "avx512f"}, "x86_64") == "AVX-512"
    assert host.isa({"avx2", "fma", "avx"}, "x86_64") == "AVX2 + FMA"
    assert host.isa({"asimd"}, "aarch64") == "NEON"


class _FakeBenchmark:
    """What ``measure`` uses of pytest-benchmark's fixture: a group, extra_info, a call."""

    def __init__(self):
        self.group, self.extra_info, self.calls = None, {}, 0

    def __call__(self, fn):
        self.calls += 1
        return fn()

    def pedantic(self, fn, **kwargs):
        return self(fn)


def test_a_peer_timed_on_a_prefix_has_its_own_benchmark_group():
    # pytest-benchmark's raw table ranks a group's rows by time per call: a peer timed on
    # 10^5 steps must not sit in the table of those timed on 10^6, or it ranks first for
    # doing a tenth of the work.  bench/report.py puts it back in the workload's table,
    # where rows are compared in steps per second.
    from bench.registry import measure

    full, prefix = _FakeBenchmark(), _FakeBenchmark()
    measure(full, implementation="a", build=lambda: (lambda: None), group="g", steps=10**6,
            full_steps=10**6)
    measure(prefix, implementation="b", build=lambda: (lambda: None), group="g", steps=10**5,
            full_steps=10**6)
    assert full.group == "g" and full.extra_info["table"] == "g"
    assert prefix.group != "g" and "1e5" in prefix.group
    assert prefix.extra_info["table"] == "g" and prefix.extra_info["steps"] == 10**5


def test_sequence_suite_puts_plain_python_apart_from_the_full_runs():
    from bench import test_bench_sequence as suite

    label = "parity cell, exact"
    groups = {}
    for implementation in ("fastlstm", "python"):
        b = _FakeBenchmark()
        suite._run(b, suite.SEQUENCE, implementation, "sequence", label, 10**6,
                   suite.SEQUENCE_MAX_STEPS)
        assert b.calls == 1
        groups[implementation] = (b.group, b.extra_info["table"], b.extra_info["steps"])
    assert groups["fastlstm"] == ("sequence: parity cell, exact, x 1e6",) * 2 + (10**6,)
    assert groups["python"][0] != groups["fastlstm"][0]
    assert groups["python"][1:] == ("sequence: parity cell, exact, x 1e6", 10**5)


def test_report_compares_prefix_rows_with_the_full_runs_in_steps_per_second():
    # fastlstm: 10^6 steps in 0.05 s (20 M/s); python: 10^5 steps in 0.1 s (1 M/s): 20x.
    full = _bench("fastlstm", 0.05, steps=10**6)
    full["group"] = full["extra_info"]["table"] = "sequence: x"
    python = _bench("python", 0.1, steps=10**5)
    python["group"], python["extra_info"]["table"] = "sequence: x, first 1e5 steps", "sequence: x"
    text = report.render({"benchmarks": [full, python]})
    assert text.count("### ") == 1 and "### sequence: x\n" in text
    row = next(line for line in text.splitlines() if line.startswith("| python"))
    assert "| 10^5 |" in row and "| 20 |" in row
