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
