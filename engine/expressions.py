"""Turn a plain-Python scalar function (a model's derivative, a coupling's pre/post) into kernel source.

Models and couplings are written as ordinary Python functions of scalars, e.g.::

    def dfun(V, W, c_0, a, tau):
        return tau * (V - V**3 / 3 + W + c_0), (a - V) / tau

``ScalarFunction`` parses the function once and rewrites it so that it compiles to fast, dtype-exact code:

- numeric literals become ``_T(literal)`` (otherwise ``1 - s`` with a float32 ``s`` silently becomes float64);
- ``x ** n`` for small integer ``n`` becomes multiplications, ``x ** 0.5`` ``sqrt(x)``, other powers ``pow``;
- ``x / p`` with ``p`` a parameter or a literal becomes ``x * (1 / p)``: the reciprocal is computed once per
  kernel call (or per lane or node) instead of a division per node, lane and step. Divisions are the slowest
  vector operation (RWW: four of its six per Heun step were by ``tau_s`` and ``d``), and LLVM may not make this
  change itself without a fast-math flag that would make results depend on the batch size. The result may
  differ from ``x / p`` in the last bit;
- ``a if c else b`` becomes ``where(c, a, b)`` and ``and``/``or`` become ``&``/``|`` (branch-free selects);
- ``np.exp``/``math.exp``/... become the vectorizable versions in :mod:`brainsweep.engine.fastmath`;
- module-level numeric constants used by the function are inlined; any other free name is refused with a
  clear error, so a function that cannot compile is caught when the model class is defined.

The same rewritten source runs on numpy arrays (``evaluate``), which is how models are unit-tested against
TVB's ``dfun`` and how the lab facade offers ``model.dfun(state, coupling)``.
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import numbers
import textwrap
from dataclasses import dataclass, field

import numpy as np

from . import fastmath

#: Names that a scalar function may call or use without defining them.
MATH_NAMES = frozenset(set(fastmath.KERNEL_NAMES["float64"]) | set(fastmath.COMMON_NAMES)
                       | set(fastmath.INTRINSIC_NAMES) | set(fastmath.CONSTANTS))
_MODULE_ALIASES = {"np", "numpy", "math"}
_ALIASES = {"min": "minimum", "max": "maximum", "power": "pow", "absolute": "abs", "fmin": "minimum",
            "fmax": "maximum"}


class ExpressionError(ValueError):
    """A model or coupling function uses something the kernel cannot compile."""


def _is_literal(node: ast.AST, value: float | None = None) -> bool:
    """``node`` is a rewritten literal ``_T(c)`` (equal to ``value`` if given)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_T"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
            and (value is None or node.args[0].value == value))


class _Rewriter(ast.NodeTransformer):
    def __init__(self, where: str, invariant: frozenset[str] = frozenset()):
        self.where = where
        self.invariant = invariant

    def visit_Constant(self, node):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        return ast.copy_location(ast.Call(ast.Name("_T", ast.Load()), [node], []), node)

    def visit_UnaryOp(self, node):
        # keep -3 a single literal so that "x ** -3" is recognised below
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
                and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
            return self.visit_Constant(ast.copy_location(ast.Constant(-node.operand.value), node))
        self.generic_visit(node)
        return node

    def visit_BinOp(self, node):
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub) \
                    and isinstance(exponent.operand, ast.Constant):
                exponent = ast.Constant(-exponent.operand.value)
            base = self.visit(node.left)
            if isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float)) \
                    and not isinstance(exponent.value, bool):
                n = exponent.value
                if float(n).is_integer() and 0 <= abs(n) <= 8:
                    n = int(n)
                    if n == 0:
                        return ast.copy_location(self.visit_Constant(ast.Constant(1.0)), node)
                    expr = base if abs(n) == 1 else ast.Call(ast.Name(f"ipow{abs(n)}", ast.Load()), [base], [])
                    if n < 0:
                        expr = ast.BinOp(self.visit_Constant(ast.Constant(1.0)), ast.Div(), expr)
                    return ast.copy_location(expr, node)
                if n == 0.5:
                    return ast.copy_location(ast.Call(ast.Name("sqrt", ast.Load()), [base], []), node)
            return ast.copy_location(
                ast.Call(ast.Name("pow", ast.Load()), [base, self.visit(node.right)], []), node)
        self.generic_visit(node)
        if isinstance(node.op, ast.Div) and not _is_literal(node.left, 1.0) and (
                _is_literal(node.right) or isinstance(node.right, ast.Name) and node.right.id in self.invariant):
            reciprocal = ast.BinOp(self.visit_Constant(ast.Constant(1.0)), ast.Div(), node.right)
            return ast.copy_location(ast.BinOp(node.left, ast.Mult(), reciprocal), node)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.copy_location(
            ast.Call(ast.Name("where", ast.Load()), [node.test, node.body, node.orelse], []), node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        expr = node.values[0]
        for value in node.values[1:]:
            expr = ast.BinOp(expr, op, value)
        return ast.copy_location(expr, node)

    def visit_Call(self, node):
        self.generic_visit(node)         # np.exp -> exp (visit_Attribute)
        func = node.func
        if isinstance(func, ast.Name) and func.id in _ALIASES:
            node.func = ast.copy_location(ast.Name(_ALIASES[func.id], ast.Load()), func)
        if node.keywords:
            raise ExpressionError(f"{self.where}: keyword arguments are not supported in '{ast.unparse(node)}'")
        return node

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in _MODULE_ALIASES:
            if node.attr in fastmath.CONSTANTS:
                return ast.copy_location(self.visit_Constant(ast.Constant(fastmath.CONSTANTS[node.attr])), node)
            name = _ALIASES.get(node.attr, node.attr)
            if name in MATH_NAMES:
                return ast.copy_location(ast.Name(name, ast.Load()), node)
        raise ExpressionError(f"{self.where}: '{ast.unparse(node)}' is not available in kernels; use one of "
                              f"{sorted(MATH_NAMES)} (plain or as np.<name>)")


class _FoldZeros(ast.NodeTransformer):
    """Replace the arguments ``names`` by ``_T(0.0)`` and drop what they make zero: ``x * 0``, ``-0`` and
    ``sin(0)`` (any of :attr:`ZERO_AT_ZERO`) become 0, ``x + 0`` and ``x - 0`` become ``x``, ``0 - x`` becomes
    ``-x``. (``0 / x`` stays: it is NaN for a finite ``x = 0``.)"""

    def __init__(self, names: frozenset[str]):
        self.names = names

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            return ast.copy_location(ast.Call(ast.Name("_T", ast.Load()), [ast.Constant(0.0)], []), node)
        return node

    #: functions with f(0) = 0
    ZERO_AT_ZERO = frozenset({"sin", "tan", "tanh", "sinh", "arcsin", "arctan", "arctanh", "sqrt", "abs", "fabs"})

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return node.operand if isinstance(node.op, ast.USub) and _is_literal(node.operand, 0.0) else node

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.ZERO_AT_ZERO and len(node.args) == 1 \
                and _is_literal(node.args[0], 0.0):
            return node.args[0]
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = _is_literal(node.left, 0.0), _is_literal(node.right, 0.0)
        if isinstance(node.op, ast.Mult) and (left or right):
            return node.left if left else node.right
        if isinstance(node.op, (ast.Add, ast.Sub)) and right:
            return node.left
        if isinstance(node.op, ast.Add) and left:
            return node.right
        if isinstance(node.op, ast.Sub) and left:
            return ast.copy_location(ast.UnaryOp(ast.USub(), node.right), node)
        return node


class _Unwrap1Tuple(ast.NodeTransformer):
    def visit_Return(self, node):
        if isinstance(node.value, ast.Tuple) and len(node.value.elts) == 1:
            node.value = node.value.elts[0]
        return node


def _free_names(fn_node: ast.FunctionDef) -> set[str]:
    assigned = {a.arg for a in fn_node.args.args}
    loaded = set()
    for node in ast.walk(fn_node):
        if isinstance(node, ast.Name):
            (assigned if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
    return loaded - assigned


@dataclass(frozen=True)
class ScalarFunction:
    """A parsed, rewritten scalar function ready to be placed in a kernel module.

    Attributes
    ----------
    name : str
        Name the function gets inside generated modules.
    args : tuple of str
        Argument names, in order.
    body : str
        Rewritten source of the whole ``def`` (literals wrapped in ``_T``), without decorators.
    n_returns : int
        Number of values returned (1 for a scalar).
    """

    name: str
    args: tuple[str, ...]
    body: str
    n_returns: int
    _numpy: dict = field(default_factory=dict, compare=False, repr=False)
    _folded: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_function(cls, fn, name: str, where: str, parameters=()) -> "ScalarFunction":
        """Parse ``fn`` (a plain function or staticmethod) and rewrite it; ``where`` names it in errors.

        ``parameters`` names the arguments that are parameters (constant during a run): divisions by them
        become multiplications by their reciprocal (see module docstring)."""
        fn = getattr(fn, "__func__", fn)
        fn = getattr(fn, "py_func", fn)
        try:
            source = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError) as exc:
            raise ExpressionError(f"{where}: cannot read the source of {fn!r} ({exc}); define it in a file or "
                                  "notebook cell") from exc
        tree = ast.parse(source)
        fn_node = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
        if fn_node is None:
            raise ExpressionError(f"{where}: expected a 'def' function, got {source[:60]!r}")
        a = fn_node.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
            raise ExpressionError(f"{where}: use plain positional arguments only (no *args, **kwargs or defaults)")
        fn_node.decorator_list = []
        fn_node.name = name
        fn_node.returns = None
        for arg in a.args:
            arg.annotation = None
        args = tuple(arg.arg for arg in a.args)

        # inline module-level numeric constants, refuse other free names
        consts = {}
        for free in sorted(_free_names(fn_node)):
            if free in fastmath.CONSTANTS:
                consts[free] = fastmath.CONSTANTS[free]
                continue
            if free in MATH_NAMES or free in _MODULE_ALIASES or free in _ALIASES or free in ("True", "False"):
                continue
            value = fn.__globals__.get(free, inspect.getclosurevars(fn).nonlocals.get(free))
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                consts[free] = float(value)
            else:
                raise ExpressionError(
                    f"{where}: uses '{free}', which is neither an argument, a local variable, a numeric "
                    f"constant nor one of the kernel math functions {sorted(MATH_NAMES)}; "
                    "pass it as a parameter instead")
        if consts:
            class _Inline(ast.NodeTransformer):
                def visit_Name(self, node):
                    if isinstance(node.ctx, ast.Load) and node.id in consts:
                        return ast.copy_location(ast.Constant(consts[node.id]), node)
                    return node
            fn_node = _Inline().visit(fn_node)

        fn_node = _Unwrap1Tuple().visit(_Rewriter(where, frozenset(parameters) & set(args)).visit(fn_node))
        returns = [n for n in ast.walk(fn_node) if isinstance(n, ast.Return)]
        if not returns or any(r.value is None for r in returns):
            raise ExpressionError(f"{where}: must return its value(s)")
        sizes = {len(r.value.elts) if isinstance(r.value, ast.Tuple) else 1 for r in returns}
        if len(sizes) != 1:
            raise ExpressionError(f"{where}: every return must give the same number of values")
        ast.fix_missing_locations(fn_node)
        body = ast.unparse(fn_node)
        return cls(name=name, args=args, body=body, n_returns=sizes.pop())

    def with_zero_arguments(self, names) -> "ScalarFunction":
        """The same function where the arguments ``names`` are always zero, with the terms they cancel removed
        (a region kernel's model without local coupling: ``+ J_N * lc_0`` costs a multiply-add per evaluation
        that the compiler may not drop, since ``inf * 0`` is NaN). The signature is unchanged; results equal
        the full function's for finite values, up to the sign of a zero."""
        names = frozenset(names) & set(self.args)
        if not names:
            return self
        # kept on the instance: a kernel's source is generated again at every run (it is the kernel's cache key)
        folded = self._folded.get(names)
        if folded is None:
            tree = ast.parse(self.body)
            fn_node = tree.body[0]
            fn_node.body = [_FoldZeros(names).visit(stmt) for stmt in fn_node.body]
            ast.fix_missing_locations(fn_node)
            folded = self._folded[names] = ScalarFunction(name=self.name, args=self.args, body=ast.unparse(fn_node),
                                                         n_returns=self.n_returns)
        return folded

    @property
    def digest(self) -> str:
        """Short hash of the rewritten source (part of kernel cache keys)."""
        return hashlib.sha1(self.body.encode()).hexdigest()[:12]

    def evaluate(self, *args, dtype=np.float64):
        """Run the function on numpy arrays or scalars (broadcasting as numpy does)."""
        fn = self._numpy.get(dtype)
        if fn is None:
            namespace = dict(fastmath.NUMPY_NAMESPACE, _T=np.dtype(dtype).type, np=np)
            exec(compile(self.body, f"<{self.name}>", "exec"), namespace)
            fn = self._numpy[dtype] = namespace[self.name]
        return fn(*args)
