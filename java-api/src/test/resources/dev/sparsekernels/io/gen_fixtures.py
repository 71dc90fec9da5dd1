"""Regenerates the .npy fixtures next to this script with real NumPy (python3 gen_fixtures.py).

NpyNumpyFixturesTest hard-codes the expected values below, so change both together.
"""
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, a, version=None):
    path = os.path.join(here, name)
    if version is None:
        np.save(path, a)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, a, version=version)


save("f32_2x3.npy", np.arange(6, dtype="<f4").reshape(2, 3) * 0.5 - 1)
save("f32_scalar.npy", np.array(3.25, dtype="<f4"))
save("f32_empty.npy", np.zeros((0,), dtype="<f4"))
save("f32_3x0x2.npy", np.zeros((3, 0, 2), dtype="<f4"))
save("f16_specials.npy", np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08,
                                   np.inf, -np.inf, np.nan, 0.333251953125], dtype="<f2"))
save("f64_2x2.npy", np.array([[1.0, -1e300], [np.pi, 1e-310]], dtype="<f8"))
save("i64_4.npy", np.array([0, -1, 2**62, -2**63], dtype="<i8"))
save("i32_2x2.npy", np.array([[1, -2], [2**31 - 1, -2**31]], dtype="<i4"))
save("i8_3.npy", np.array([-128, 0, 127], dtype="i1"))
save("u8_3.npy", np.array([0, 200, 255], dtype="u1"))
save("bool_2x2.npy", np.array([[True, False], [False, True]]))
save("f32_be_2x2.npy", np.array([[1.5, -2.0], [3.0, 1e-3]], dtype=">f4"))
save("i64_be_3.npy", np.array([1, -2, 2**40], dtype=">i8"))
save("f32_v2_5.npy", np.arange(5, dtype="<f4"), version=(2, 0))
save("f32_v3_5.npy", np.arange(5, dtype="<f4"), version=(3, 0))
save("f32_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
save("c64_2.npy", np.array([1 + 2j, 3 - 4j], dtype="<c8"))
save("structured_2.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
save("f32_3x4_for_byte_compare.npy", (np.arange(12, dtype="<f4").reshape(3, 4) - 5.5) / 3)
save("f32_big_first_dim.npy", np.zeros((123456789012, 0), dtype="<f4"))
# float32 -> float16 rounding reference: inputs and numpy's f16 result
xs = np.array([0.1, 1 / 3, 65519.0, 65520.0, 1e-8, 2.98e-8, 2.99e-8, 1.0009765625 + 2**-11,
               1.0029296875 - 2**-11 * 0.999, -7.77e-5, 1e5, 6.09e-5, 2**-24 * 1.5, 2**-24 * 2.5, 2**-25],
              dtype="<f4")
rng = np.random.default_rng(7)
xs = np.concatenate([xs, rng.standard_normal(200).astype("<f4") * 10 ** rng.uniform(-9, 5, 200).astype("<f4")])
save("f16_round_in_f32.npy", xs.astype("<f4"))
save("f16_round_expected.npy", xs.astype("<f4").astype("<f2"))
