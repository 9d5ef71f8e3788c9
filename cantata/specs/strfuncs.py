"""NetPyNE's string functions (``'0.5*exp(-dist_3D/150)'``), evaluated over whole columns.

A string is parsed and checked once (:class:`StringFunction`), then evaluated with numpy over
every row at once (all candidate pairs of a probability rule, all connections of a rule, all
target cells of a stimulation). The evaluator is safe: the expression may use numbers, the
operators ``+ - * / // % **``, comparisons, ``and``/``or``/``not``, ``a if c else b``, and
only the names below; no attribute, subscript, lambda or builtin is reachable, and an unknown
name raises a :class:`~cantata.errors.BuildError` naming the key and the name.

Names, as NetPyNE defines them (its ``specs.utils.generateStringFunction``):

* cell variables (connections: ``pre_``/``post_`` + ``x y z xnorm ynorm znorm``, and
  ``dist_x dist_y dist_z dist_3D dist_2D dist_xnorm dist_ynorm dist_znorm dist_norm3D
  dist_norm2D``; stimulation targets: ``post_...``);
* every number of ``netParams`` (``sizeX``, ``propVelocity``, your own ``netParams.lengthConst``);
* math: ``exp log log10 sqrt sin cos tan arctan2 remainder ceil abs min max pow round int
  float pi inf``;
* NEURON ``Random`` distributions: ``uniform(low, high)``, ``normal(mean, variance)``,
  ``lognormal(mean, variance)`` (of the lognormal values), ``negexp(mean)``,
  ``discunif(low, high)``, ``poisson(mean)``, ``binomial(n, p)``, ``erlang(mean, variance)``,
  ``geometric(mean)`` (``0 <= mean < 1``), ``weibull(alpha, beta)``. They are drawn from Cantata's generator (one
  draw per row), so they follow NetPyNE's distributions, not its Random123 draws.

``dist_norm3D`` and ``dist_norm2D`` are computed as NetPyNE 1.1.1 computes them: the y and z
terms enter as ``sqrt(difference)``, not squared (``nan`` when the difference is negative).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from cantata.specs.checks import fail, is_number

COORDS = ("x", "y", "z", "xnorm", "ynorm", "znorm")
PAIR_VARIABLES = (*(f"pre_{c}" for c in COORDS), *(f"post_{c}" for c in COORDS),
                  "dist_x", "dist_y", "dist_z", "dist_3D", "dist_2D", "dist_xnorm", "dist_ynorm",
                  "dist_znorm", "dist_norm3D", "dist_norm2D")
POST_VARIABLES = tuple(f"post_{c}" for c in COORDS)
PRE_VARIABLES = tuple(f"pre_{c}" for c in COORDS)
RANDOM = ("uniform", "normal", "lognormal", "negexp", "discunif", "poisson", "binomial", "erlang",
          "geometric", "weibull")
MATH: dict[str, Any] = {
    "exp": np.exp, "log": np.log, "log10": np.log10, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arctan2": np.arctan2, "remainder": np.remainder, "ceil": np.ceil, "abs": np.abs,
    "min": np.minimum, "max": np.maximum, "pow": np.power, "round": np.round, "int": np.trunc,
    "float": np.asarray, "pi": np.pi, "inf": np.inf,
}  # fmt: skip
_NOT_HERE = {"gauss": "normal(mean, variance)", "exponential": "negexp(mean)", "rand": "uniform(0, 1)",
             "dist_3D_border": "dist_3D (netParams.correctBorder is not supported)",
             "hypergeo": "another distribution (hypergeo is not supported)", "floor": "ceil or int"}
_OPS = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name,
        ast.Load, ast.Constant, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


class StringFunction:
    """One string function, checked and compiled; call it with the columns of its variables."""

    def __init__(self, text: str, key: str, variables: Iterable[str], constants: Mapping[str, float]) -> None:
        self.text = text
        self.key = key
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            fail("cannot read the string function", key, expected="a Python expression such as "
                 "'0.5*exp(-dist_3D/100)'", found=f"{text!r} ({exc.msg})")
        allowed_vars = set(variables)
        names: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, _OPS):
                fail("string functions are arithmetic expressions of numbers and names", key,
                     expected="numbers, operators, calls of the allowed functions",
                     found=f"{type(node).__name__} in {text!r}")
            if isinstance(node, ast.Constant) and not is_number(node.value):
                fail("string functions take numbers only", key, expected="numbers", found=repr(node.value))
            if isinstance(node, ast.Call) and (not isinstance(node.func, ast.Name) or node.keywords
                                               or node.func.id not in (*MATH, *RANDOM)):
                what = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                fail(f"unknown function {what!r} in a string function", key,
                     expected=f"one of {sorted({*MATH, *RANDOM} - {'pi', 'inf'})}"
                     + (f" (NetPyNE's name: {_NOT_HERE[what]})" if what in _NOT_HERE else ""), found=text)
            if isinstance(node, ast.Name):
                names.add(node.id)
        self.variables = sorted(n for n in names if n in allowed_vars)
        self.constants = {n: float(constants[n]) for n in names if n not in allowed_vars and n in constants}
        unknown = sorted(names - allowed_vars - set(constants) - set(MATH) - set(RANDOM))
        if unknown:
            name = unknown[0]
            hint = f" (use {_NOT_HERE[name]})" if name in _NOT_HERE else ""
            fail(f"unknown name {name!r} in a string function{hint}", key,
                 expected=f"variables {sorted(allowed_vars)}, netParams numbers, math and random functions",
                 found=text)
        self.random = bool(names & set(RANDOM))
        tree = ast.fix_missing_locations(_Vectorise().visit(tree))
        self._code = compile(tree, f"<{key}>", "eval")

    def __call__(self, columns: Mapping[str, Any], size: int, rng: np.random.Generator | None = None
                  ) -> np.ndarray:
        """Values for ``size`` rows; ``columns`` holds each used variable (array or number)."""
        namespace: dict[str, Any] = {"__builtins__": {}, **MATH, **self.constants, **_HELPERS}
        namespace.update({name: columns[name] for name in self.variables})
        if self.random:
            if rng is None:
                raise ValueError("a generator is needed for random string functions")
            namespace.update(_random_functions(rng, size))
        with np.errstate(all="ignore"):
            try:
                value = eval(self._code, namespace)  # noqa: S307 - checked AST, no builtins, allowed names only
            except (ArithmeticError, TypeError, ValueError) as exc:
                fail("the string function cannot be evaluated", self.key, found=f"{self.text!r}: {exc}")
        out = np.asarray(value, dtype=float)
        if out.shape != (size,):
            out = np.broadcast_to(out, (size,)).copy()
        return out


class _Vectorise(ast.NodeTransformer):
    """``a if c else b``, ``and``/``or``/``not`` and chained comparisons as numpy calls."""

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        return _call("_where", [node.test, node.body, node.orelse])

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        name = "_and" if isinstance(node.op, ast.And) else "_or"
        out = node.values[0]
        for value in node.values[1:]:
            out = _call(name, [out, value])
        return out

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        return _call("_not", [node.operand]) if isinstance(node.op, ast.Not) else node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(ast.Compare(left=left, ops=[op], comparators=[right]))
            left = right
        out: ast.AST = parts[0]
        for part in parts[1:]:
            out = _call("_and", [out, part])
        return out


def _call(name: str, args: list[Any]) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])


_HELPERS = {"_where": np.where, "_and": np.logical_and, "_or": np.logical_or, "_not": np.logical_not}


def _random_functions(rng: np.random.Generator, size: int) -> dict[str, Callable[..., np.ndarray]]:
    """NEURON ``Random`` distributions with its parameters, one draw per row."""

    def lognormal(mean: Any, variance: Any) -> np.ndarray:
        mean, variance = np.asarray(mean, float), np.asarray(variance, float)
        sigma2 = np.log(variance / (mean * mean) + 1.0)
        return rng.lognormal(np.log(mean) - sigma2 / 2.0, np.sqrt(sigma2), size)

    def erlang(mean: Any, variance: Any) -> np.ndarray:  # k = round(mean^2 / variance) stages
        mean, variance = np.asarray(mean, float), np.asarray(variance, float)
        k = np.maximum(np.floor(mean * mean / variance + 0.5), 1.0)
        return rng.gamma(k, mean / k, size)

    return {
        "uniform": lambda low, high: rng.uniform(low, high, size),
        "normal": lambda mean, variance: rng.normal(mean, np.sqrt(variance), size),
        "lognormal": lognormal,
        "negexp": lambda mean: rng.exponential(mean, size),
        "discunif": lambda low, high: rng.integers(np.asarray(low, np.int64), np.asarray(high, np.int64) + 1,
                                                   size).astype(float),
        "poisson": lambda mean: rng.poisson(mean, size).astype(float),
        "binomial": lambda n, p: rng.binomial(np.asarray(n, np.int64), p, size).astype(float),
        "erlang": erlang,
        # NEURON's geometric(mean): trials up to the first draw >= mean (1, 2, ...)
        "geometric": lambda mean: rng.geometric(1.0 - np.asarray(mean, float), size).astype(float),
        # NEURON's weibull(alpha, beta): (beta * Exp(1)) ** (1 / alpha)
        "weibull": lambda alpha, beta: (np.asarray(beta, float) * rng.exponential(1.0, size))
        ** (1.0 / np.asarray(alpha, float)),
    }


def net_constants(net: Any) -> dict[str, float]:
    """The numbers of ``netParams`` (NetPyNE makes each one a string-function variable)."""
    out = {}
    for name in net:
        if str(name).startswith("_"):
            continue
        value = net.get(name)
        if isinstance(value, (bool, int, float)) and not isinstance(value, str) and \
                (isinstance(value, bool) or is_number(value)):
            out[str(name)] = float(value)
    return out


def pair_columns(names: Iterable[str], pre: Mapping[str, np.ndarray], post: Mapping[str, np.ndarray]
                 ) -> dict[str, np.ndarray]:
    """The pair variables ``names`` from the cells' coordinate columns (``x`` ... ``znorm``),
    computed as NetPyNE computes them."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name.startswith("pre_"):
            out[name] = pre[name[4:]]
        elif name.startswith("post_"):
            out[name] = post[name[5:]]
        elif name in ("dist_x", "dist_y", "dist_z", "dist_xnorm", "dist_ynorm", "dist_znorm"):
            coord = name[5:]
            out[name] = np.abs(pre[coord] - post[coord])
        elif name == "dist_3D":
            out[name] = np.sqrt((pre["x"] - post["x"]) ** 2 + (pre["y"] - post["y"]) ** 2
                                + (pre["z"] - post["z"]) ** 2)
        elif name == "dist_2D":
            out[name] = np.sqrt((pre["x"] - post["x"]) ** 2 + (pre["z"] - post["z"]) ** 2)
        elif name == "dist_norm3D":  # NetPyNE 1.1.1's formula, as it is
            with np.errstate(invalid="ignore"):
                out[name] = np.sqrt((pre["xnorm"] - post["xnorm"]) ** 2 + np.sqrt(pre["ynorm"] - post["ynorm"])
                                    + np.sqrt(pre["znorm"] - post["znorm"]))
        elif name == "dist_norm2D":
            with np.errstate(invalid="ignore"):
                out[name] = np.sqrt((pre["xnorm"] - post["xnorm"]) ** 2 + np.sqrt(pre["znorm"] - post["znorm"]))
    return out
