"""Branch-free elementary functions that LLVM can vectorize inside the kernel's lane loops.

numba compiles ``np.exp`` and friends to scalar libm calls unless Intel SVML is installed, and a libm call in
the innermost loop keeps the whole model update scalar. These are Cephes/fdlibm-style polynomial versions
written with selects and bit casts only, in a float64 and a float32 flavour:

- float64: relative error below 1e-15 against libm over the ranges tested in ``tests/engine/test_fastmath.py``
  (exp, log, sin, cos, tanh, pow), so trajectories still agree with TVB to far better than 1e-6.
- float32: a few ulp.

Every function is ``numba.njit(inline="always")`` so that the same definitions can later be called from a
CUDA kernel. ``KERNEL_NAMES`` tells the kernel generator which implementation backs each public name for a
given dtype; ``NUMPY_NAMESPACE`` gives the numpy equivalents used when a model is evaluated on arrays.

CPU kernels call the transcendental ones through ``*_cpu`` wrappers (``CPU_KERNEL_NAMES``): each is compiled once
as a function of its own (and cached on disk), and LLVM inlines it into the kernel's loops, so the vectorised
code and the numbers are the same. numba's own inlining (``inline="always"``) instead copies and types the body
again at every call site, which made a kernel with seven exponentials (JansenRit with its sigmoidal coupling)
take 12 s to compile instead of 4. CUDA kernels keep the inline versions: a separately compiled device function
would need a GPU present to be compiled.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

inline = nb.njit(inline="always", fastmath={"contract"}, error_model="numpy")

F32 = np.float32
F64 = np.float64
I32 = np.int32
I64 = np.int64


# --------------------------------------------------------------------------------------------- bit casts
@intrinsic
def f64_bits(typingctx, x):
    """Reinterpret a float64 as int64 (LLVM bitcast)."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def bits_f64(typingctx, x):
    """Reinterpret an int64 as float64 (LLVM bitcast)."""
    if x != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def f32_bits(typingctx, x):
    """Reinterpret a float32 as int32 (LLVM bitcast)."""
    if x != types.float32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def bits_f32(typingctx, x):
    """Reinterpret an int32 as float32 (LLVM bitcast)."""
    if x != types.int32:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


# --------------------------------------------------------------------------------------------- LLVM intrinsics
def _llvm_unary(name: str, doc: str):
    """A float32/float64 function lowered to the LLVM intrinsic ``llvm.<name>.f32/f64``.

    numba lowers ``np.sqrt``/``np.floor``/``np.abs`` to the same intrinsics on the CPU, but numba-cuda cannot
    compile numpy ufuncs in device code; the intrinsic compiles on both targets (NVVM maps it to the PTX
    instruction), so kernels and shared helpers use these instead.
    """
    def typer(typingctx, x):
        if x not in (types.float32, types.float64):
            return None

        def codegen(context, builder, sig, args):
            ty = args[0].type
            fn = builder.module.declare_intrinsic(f"llvm.{name}", [ty], ir.FunctionType(ty, [ty]))
            return builder.call(fn, args)
        return x(x), codegen

    typer.__name__ = f"{name}_"
    typer.__doc__ = doc
    return intrinsic(typer)


sqrt_ = _llvm_unary("sqrt", "Square root (correctly rounded, as np.sqrt).")
floor_ = _llvm_unary("floor", "Largest integral value not above x (as np.floor).")
ceil_ = _llvm_unary("ceil", "Smallest integral value not below x (as np.ceil).")


@intrinsic
def fabs_(typingctx, x):
    """Absolute value (as np.abs on floats): the sign bit cleared (NVVM rejects ``llvm.fabs``)."""
    if x not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        ty = args[0].type
        width = 64 if isinstance(ty, ir.DoubleType) else 32
        itype = ir.IntType(width)
        bits = builder.bitcast(args[0], itype)
        return builder.bitcast(builder.and_(bits, itype((1 << (width - 1)) - 1)), ty)
    return x(x), codegen


# --------------------------------------------------------------------------------------------- selects
@inline
def select(cond, a, b):
    """``a`` where ``cond`` else ``b`` (both evaluated; compiles to a select)."""
    return a if cond else b


@inline
def select_min(a, b):
    """Smaller of ``a`` and ``b``; NaN in ``a`` propagates."""
    return b if b < a else a


@inline
def select_max(a, b):
    """Larger of ``a`` and ``b``; NaN in ``a`` propagates."""
    return b if b > a else a


# --------------------------------------------------------------------------------------------- float64
@inline
def exp64(x):
    """exp(x) for float64: Cody-Waite reduction by ln 2, degree-12 Taylor polynomial on |r| <= ln2/2."""
    # written as "x > lo ? x : lo" (not "x < lo ? lo : x"), these clamps are one max and one min instruction
    # instead of a compare and a blend each; they turn NaN into a bound, and the last line returns NaN for NaN
    xc = x if x > F64(-708.0) else F64(-708.0)
    xc = xc if xc < F64(709.0) else F64(709.0)
    n = floor_(xc * F64(1.4426950408889634074) + F64(0.5))
    r = xc - n * F64(6.93145751953125e-1)
    r = r - n * F64(1.42860682030941723212e-6)
    p = F64(1.0 / 479001600.0)
    p = p * r + F64(1.0 / 39916800.0)
    p = p * r + F64(1.0 / 3628800.0)
    p = p * r + F64(1.0 / 362880.0)
    p = p * r + F64(1.0 / 40320.0)
    p = p * r + F64(1.0 / 5040.0)
    p = p * r + F64(1.0 / 720.0)
    p = p * r + F64(1.0 / 120.0)
    p = p * r + F64(1.0 / 24.0)
    p = p * r + F64(1.0 / 6.0)
    p = p * r + F64(0.5)
    p = p * r + F64(1.0)
    p = p * r + F64(1.0)
    y = bits_f64(f64_bits(p) + (I64(n) << I64(52)))
    y = F64(np.inf) if x > F64(709.782712893384) else y
    y = F64(0.0) if x < F64(-745.2) else y
    return x if x != x else y


@inline
def log64(x):
    """Natural log for float64: exponent from the bits, atanh series of the mantissa in [sqrt(.5), sqrt(2))."""
    y = log64_normal(x)
    y = F64(-np.inf) if x == F64(0.0) else y
    y = F64(np.nan) if x < F64(0.0) else y
    y = x if x == F64(np.inf) else y
    return x if x != x else y


@inline
def log64_normal(x):
    """:func:`log64` of a finite, positive, normal ``x`` (no special cases: zero, negative, inf and NaN give
    garbage), for callers that know their argument, e.g. Box-Muller's uniform in (0, 1)."""
    bits = f64_bits(x)
    e = ((bits >> I64(52)) & I64(0x7FF)) - I64(1022)
    m = bits_f64((bits & I64(0x000FFFFFFFFFFFFF)) | I64(0x3FE0000000000000))
    small = m < F64(0.70710678118654752440)
    e = e - I64(1 if small else 0)
    m = m + m if small else m
    s = (m - F64(1.0)) / (m + F64(1.0))
    s2 = s * s
    p = F64(1.0 / 23.0)
    p = p * s2 + F64(1.0 / 21.0)
    p = p * s2 + F64(1.0 / 19.0)
    p = p * s2 + F64(1.0 / 17.0)
    p = p * s2 + F64(1.0 / 15.0)
    p = p * s2 + F64(1.0 / 13.0)
    p = p * s2 + F64(1.0 / 11.0)
    p = p * s2 + F64(1.0 / 9.0)
    p = p * s2 + F64(1.0 / 7.0)
    p = p * s2 + F64(1.0 / 5.0)
    p = p * s2 + F64(1.0 / 3.0)
    lm = F64(2.0) * s + F64(2.0) * s * s2 * p
    fe = F64(e)
    return fe * F64(6.93147180369123816490e-1) + (lm + fe * F64(1.90821492927058770002e-10))


@inline
def sin64_poly(r):
    """The sine of r for |r| <= pi/4, where no argument reduction is needed (float64)."""
    z = r * r
    p = F64(1.58962301576546568060e-10)
    p = p * z - F64(2.50507477628578072866e-8)
    p = p * z + F64(2.75573136213857245213e-6)
    p = p * z - F64(1.98412698295895385996e-4)
    p = p * z + F64(8.33333333332211858878e-3)
    p = p * z - F64(1.66666666666666307295e-1)
    return r + r * z * p


@inline
def cos64_poly(r):
    """The cosine of r for |r| <= pi/4, where no argument reduction is needed (float64)."""
    z = r * r
    p = F64(-1.13585365213876817300e-11)
    p = p * z + F64(2.08757008419747316778e-9)
    p = p * z - F64(2.75573141792967388112e-7)
    p = p * z + F64(2.48015872888517045348e-5)
    p = p * z - F64(1.38888888888730564116e-3)
    p = p * z + F64(4.16666666666665929218e-2)
    return F64(1.0) - F64(0.5) * z + z * z * p


@inline
def _reduce_pio2_64(x):
    # three-part pi/2 (33 + 33 + 53 bits): exact products for |k| < 2**20
    k = floor_(x * F64(0.63661977236758134308) + F64(0.5))
    r = x - k * F64(1.57079632673412561417)
    r = r - k * F64(6.07710050630396597660e-11)
    r = r - k * F64(2.02226624871116645580e-21)
    return r, I64(k) & I64(3)


@inline
def sin64(x):
    """sin(x) for float64 (accurate for |x| < 1e6)."""
    r, q = _reduce_pio2_64(x)
    s = sin64_poly(r)
    c = cos64_poly(r)
    y = c if (q & I64(1)) != I64(0) else s
    return -y if (q & I64(2)) != I64(0) else y


@inline
def cos64(x):
    """cos(x) for float64 (accurate for |x| < 1e6)."""
    r, q = _reduce_pio2_64(x)
    s = sin64_poly(r)
    c = cos64_poly(r)
    y = s if (q & I64(1)) != I64(0) else c
    return -y if ((q + I64(1)) & I64(2)) != I64(0) else y


@inline
def tanh64(x):
    """tanh(x) for float64: rational approximation for |x| < 0.625, exp-based outside."""
    ax = x if x >= F64(0.0) else -x
    z = x * x
    p = F64(-9.64399179425052238628e-1)
    p = p * z - F64(9.92877231001918586564e1)
    p = p * z - F64(1.61468768441708447952e3)
    q = z + F64(1.12811678491632931402e2)
    q = q * z + F64(2.23548839060100448583e3)
    q = q * z + F64(4.84406305325125486048e3)
    small = x + x * z * p / q
    big = F64(1.0) - F64(2.0) / (exp64(ax + ax) + F64(1.0))
    big = big if x >= F64(0.0) else -big
    return small if ax < F64(0.625) else big


@inline
def pow64(x, y):
    """x ** y for float64 with x > 0 (0 for x == 0 and y > 0, NaN for x < 0)."""
    r = exp64(y * log64(x))
    return F64(0.0) if (x == F64(0.0)) & (y > F64(0.0)) else r


# --------------------------------------------------------------------------------------------- float32
@inline
def exp32(x):
    """exp(x) for float32 (Cephes expf)."""
    # written as "x > lo ? x : lo" (not "x < lo ? lo : x"), these clamps are one max and one min instruction
    # instead of a compare and a blend each; they turn NaN into a bound, and the last line returns NaN for NaN
    xc = x if x > F32(-87.0) else F32(-87.0)
    xc = xc if xc < F32(88.0) else F32(88.0)
    n = floor_(xc * F32(1.44269504088896341) + F32(0.5))
    r = xc - n * F32(0.693359375)
    r = r - n * F32(-2.12194440e-4)
    z = r * r
    p = F32(1.9875691500e-4)
    p = p * r + F32(1.3981999507e-3)
    p = p * r + F32(8.3334519073e-3)
    p = p * r + F32(4.1665795894e-2)
    p = p * r + F32(1.6666665459e-1)
    p = p * r + F32(5.0000001201e-1)
    p = p * z + r + F32(1.0)
    y = bits_f32(I32(f32_bits(p) + (I32(n) << I32(23))))
    y = F32(np.inf) if x > F32(88.72283) else y
    y = F32(0.0) if x < F32(-103.9) else y
    return x if x != x else y


@inline
def log32(x):
    """Natural log for float32 (Cephes logf)."""
    y = log32_normal(x)
    y = F32(-np.inf) if x == F32(0.0) else y
    y = F32(np.nan) if x < F32(0.0) else y
    y = x if x == F32(np.inf) else y
    return x if x != x else y


@inline
def log32_normal(x):
    """:func:`log32` of a finite, positive, normal ``x`` (no special cases, see :func:`log64_normal`)."""
    bits = f32_bits(x)
    e = ((bits >> I32(23)) & I32(0xFF)) - I32(126)
    m = bits_f32(I32((bits & I32(0x007FFFFF)) | I32(0x3F000000)))
    small = m < F32(0.707106781186547524)
    e = e - I32(1 if small else 0)
    m = (m + m if small else m) - F32(1.0)
    z = m * m
    y = F32(7.0376836292e-2)
    y = y * m - F32(1.1514610310e-1)
    y = y * m + F32(1.1676998740e-1)
    y = y * m - F32(1.2420140846e-1)
    y = y * m + F32(1.4249322787e-1)
    y = y * m - F32(1.6668057665e-1)
    y = y * m + F32(2.0000714765e-1)
    y = y * m - F32(2.4999993993e-1)
    y = y * m + F32(3.3333331174e-1)
    y = y * m * z
    fe = F32(e)
    y = y + F32(-2.12194440e-4) * fe
    y = y - F32(0.5) * z
    return m + y + F32(0.693359375) * fe


@inline
def sin32_poly(r):
    """The sine of r for |r| <= pi/4, where no argument reduction is needed (float32)."""
    z = r * r
    return ((F32(-1.9515295891e-4) * z + F32(8.3321608736e-3)) * z - F32(1.6666654611e-1)) * z * r + r


@inline
def cos32_poly(r):
    """The cosine of r for |r| <= pi/4, where no argument reduction is needed (float32)."""
    z = r * r
    return ((F32(2.443315711809948e-5) * z - F32(1.388731625493765e-3)) * z
            + F32(4.166664568298827e-2)) * z * z - F32(0.5) * z + F32(1.0)


@inline
def _reduce_pio2_32(x):
    k = floor_(x * F32(0.63661977236758134308) + F32(0.5))
    r = x - k * F32(1.5703125)
    r = r - k * F32(4.837512969970703125e-4)
    r = r - k * F32(7.54978995489188216e-8)
    return r, I32(k) & I32(3)


@inline
def sin32(x):
    """sin(x) for float32 (accurate for |x| < 1e4)."""
    r, q = _reduce_pio2_32(x)
    s = sin32_poly(r)
    c = cos32_poly(r)
    y = c if (q & I32(1)) != I32(0) else s
    return -y if (q & I32(2)) != I32(0) else y


@inline
def cos32(x):
    """cos(x) for float32 (accurate for |x| < 1e4)."""
    r, q = _reduce_pio2_32(x)
    s = sin32_poly(r)
    c = cos32_poly(r)
    y = s if (q & I32(1)) != I32(0) else c
    return -y if ((q + I32(1)) & I32(2)) != I32(0) else y


@inline
def tanh32(x):
    """tanh(x) for float32 (Cephes tanhf)."""
    ax = x if x >= F32(0.0) else -x
    z = x * x
    p = F32(-5.70498872745e-3)
    p = p * z + F32(2.06390887954e-2)
    p = p * z - F32(5.37397155531e-2)
    p = p * z + F32(1.33314422036e-1)
    p = p * z - F32(3.33332819422e-1)
    small = x + x * z * p
    big = F32(1.0) - F32(2.0) / (exp32(ax + ax) + F32(1.0))
    big = big if x >= F32(0.0) else -big
    return small if ax < F32(0.625) else big


@inline
def pow32(x, y):
    """x ** y for float32 with x > 0 (0 for x == 0 and y > 0, NaN for x < 0)."""
    r = exp32(y * log32(x))
    return F32(0.0) if (x == F32(0.0)) & (y > F32(0.0)) else r


# --------------------------------------------------------------------------------------------- integer powers
@inline
def ipow2(x):
    return x * x


@inline
def ipow3(x):
    return x * x * x


@inline
def ipow4(x):
    y = x * x
    return y * y


@inline
def ipow5(x):
    y = x * x
    return y * y * x


@inline
def ipow6(x):
    y = x * x * x
    return y * y


@inline
def ipow7(x):
    y = x * x * x
    return y * y * x


@inline
def ipow8(x):
    y = x * x
    y = y * y
    return y * y


# --------------------------------------------------------------------------------------------- CPU wrappers
cpu_leaf = nb.njit(fastmath={"contract"}, error_model="numpy", cache=True)


@cpu_leaf
def exp64_cpu(x):
    return exp64(x)


@cpu_leaf
def log64_cpu(x):
    return log64(x)


@cpu_leaf
def sin64_cpu(x):
    return sin64(x)


@cpu_leaf
def cos64_cpu(x):
    return cos64(x)


@cpu_leaf
def tanh64_cpu(x):
    return tanh64(x)


@cpu_leaf
def pow64_cpu(x, y):
    return pow64(x, y)


@cpu_leaf
def exp32_cpu(x):
    return exp32(x)


@cpu_leaf
def log32_cpu(x):
    return log32(x)


@cpu_leaf
def sin32_cpu(x):
    return sin32(x)


@cpu_leaf
def cos32_cpu(x):
    return cos32(x)


@cpu_leaf
def tanh32_cpu(x):
    return tanh32(x)


@cpu_leaf
def pow32_cpu(x, y):
    return pow32(x, y)


# --------------------------------------------------------------------------------------------- name tables
#: Functions a model or coupling expression may call, and what implements them in a kernel of each dtype.
KERNEL_NAMES = {
    "float64": {"exp": "exp64", "log": "log64", "sin": "sin64", "cos": "cos64", "tanh": "tanh64",
                "pow": "pow64"},
    "float32": {"exp": "exp32", "log": "log32", "sin": "sin32", "cos": "cos32", "tanh": "tanh32",
                "pow": "pow32"},
}
#: The same for CPU kernels: the separately compiled wrappers (see the module docstring).
CPU_KERNEL_NAMES = {dtype: {public: f"{impl}_cpu" for public, impl in names.items()}
                    for dtype, names in KERNEL_NAMES.items()}
#: Dtype-independent helpers: public name -> kernel implementation.
COMMON_NAMES = {"where": "select", "minimum": "select_min", "maximum": "select_max",
                **{f"ipow{n}": f"ipow{n}" for n in range(2, 9)}}
#: Names with numpy meaning in kernels, as LLVM intrinsics (they vectorize on the CPU and compile for CUDA).
INTRINSIC_NAMES = {"sqrt": "sqrt_", "abs": "fabs_", "fabs": "fabs_", "floor": "floor_", "ceil": "ceil_"}
#: Named constants.
CONSTANTS = {"pi": math.pi, "e": math.e}

#: The same names evaluated on numpy arrays (model.evaluate_dfun, tests, the lab facade).
NUMPY_NAMESPACE = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "pow": np.power,
    "sqrt": np.sqrt, "abs": np.abs, "fabs": np.abs, "floor": np.floor, "ceil": np.ceil,
    "where": np.where, "minimum": np.minimum, "maximum": np.maximum,
    "ipow2": lambda x: x * x, "ipow3": lambda x: x * x * x, "ipow4": lambda x: (x * x) * (x * x),
    "ipow5": lambda x: (x * x) * (x * x) * x, "ipow6": lambda x: (x * x * x) * (x * x * x),
    "ipow7": lambda x: (x * x * x) * (x * x * x) * x, "ipow8": lambda x: ((x * x) * (x * x)) * ((x * x) * (x * x)),
    **CONSTANTS,
}


# --------------------------------------------------------------------------------------------- model-facing names
# Model and coupling modules import these (``from brainsweep.engine.fastmath import exp, where``) so that
# their source reads as ordinary numpy; the expression compiler maps each name to the kernel version above.
exp = np.exp
log = np.log
sin = np.sin
cos = np.cos
tanh = np.tanh
sqrt = np.sqrt
where = np.where
minimum = np.minimum
maximum = np.maximum
pi = math.pi
