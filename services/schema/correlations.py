"""`correlations`: blocks of numbers that move together, beside `fields` in `schema` and in
each entity. A block names its fields and their Spearman rank correlations; the generator
draws them through a Gaussian copula whose parameter is r = 2 sin(pi * rho / 6), so the
matrix of those r must be a correlation matrix (positive semi-definite). A category of
numbers is a member too: its u picks among its values in their numeric order."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.schema.field_list import Declared
from services.schema.fields import CategoryField, DatetimeField, Field, FloatField, IntField
from services.schema.reader import Obj, describe, is_number
from services.schema.values import BOOLEAN, FLOAT, INTEGER

SYMMETRY_TOLERANCE = 1e-9
EIGEN_TOLERANCE = 1e-9  # a smallest eigenvalue down to -1e-9 is rounding, not a bad matrix
ACCEPTED = "int, float, a category of numbers, or datetime with mode 'uniform'"


@dataclass(frozen=True)
class Correlation:
    """One block: its fields, in order, and their rank correlation matrix."""

    fields: tuple[str, ...]
    rank_correlation: tuple[tuple[float, ...], ...]

    @property
    def stream(self) -> str:
        """The name of the block's random stream (one per block, whatever its size)."""
        return "correlations:" + "|".join(self.fields)

    @property
    def gaussian(self) -> tuple[tuple[float, ...], ...]:
        """The copula's Pearson matrix: 2 sin(pi * rho / 6) entry by entry (1 stays 1)."""
        return gaussian_matrix(self.rank_correlation)


def gaussian_matrix(rank: tuple[tuple[float, ...], ...]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(1.0 if i == j else 2.0 * math.sin(math.pi * rho / 6.0)
                       for j, rho in enumerate(row)) for i, row in enumerate(rank))


def parse_correlations(obj: Obj, declared: Declared) -> tuple[Correlation, ...]:
    """The `correlations` list of `obj` (a `schema` or an entity), every problem located."""
    raw = obj.list("correlations")
    if raw is None:
        return ()
    owner: dict[str, int] = {}  # field name -> the block it is in
    blocks = []
    for index, item in enumerate(raw):
        block = Obj.of(item, f"{obj.at('correlations')}[{index}]", obj.problems)
        if block is None:
            continue
        mark = len(obj.problems)
        names = _field_names(block, declared, owner, index)
        if names is None:
            block.raw("rank_correlation")  # not judged without its fields
        matrix = _matrix(block, len(names)) if names is not None else None
        block.finish()
        if names is not None and matrix is not None and len(obj.problems) == mark:
            blocks.append(Correlation(names, matrix))
    return tuple(blocks)


def _field_names(block: Obj, declared: Declared, owner: dict[str, int],
                 index: int) -> tuple[str, ...] | None:
    raw = block.list("fields", required=True)
    if raw is None:
        return None
    if len(raw) < 2:
        block.error("fields", f"needs at least 2 field names, got {len(raw)}")
        return None
    names: list[str] = []
    for position, name in enumerate(raw):
        at = f"fields[{position}]"
        if not isinstance(name, str):
            block.error(at, f"must be a field name, got {describe(name)}")
            continue
        elif name in names:
            block.error(at, f"{name!r} is listed twice in this block")
        elif name in owner:
            block.error(at, f"{name!r} is already in correlations[{owner[name]}]; a field "
                            "may be in one block only")
        elif declared.readable and name not in declared.names:
            block.error(at, f"names no field: {name!r}; fields: "
                            f"{', '.join(sorted(declared.names))}")
        else:
            field = declared.field(name)
            reason = _misfit(field) if field is not None else None
            if reason:
                block.error(at, f"{name!r} is {reason}; accepted: {ACCEPTED}")
        names.append(name)
        owner.setdefault(name, index)
    return tuple(names) if len(names) == len(raw) else None  # else the matrix cannot be read


def _misfit(field: Field) -> str | None:
    """Why the field cannot be in a block (its values have no inverse CDF), or None."""
    if isinstance(field, (IntField, FloatField)):
        return None
    if isinstance(field, DatetimeField):
        return None if field.mode == "uniform" else \
            f"a datetime field with mode {field.mode!r}"
    if isinstance(field, CategoryField):
        kind = field.value_kind
        return None if kind in (INTEGER, FLOAT) else \
            f"a category field of {'booleans' if kind == BOOLEAN else 'text'}"
    return f"a {field.type_name} field"


def _matrix(block: Obj, size: int) -> tuple[tuple[float, ...], ...] | None:
    raw = block.list("rank_correlation", required=True)
    if raw is None:
        return None
    shape = f"a {size} x {size} matrix (one row per field, in the order of fields)"
    if len(raw) != size:
        block.error("rank_correlation", f"must be {shape}, got {len(raw)} rows")
        return None
    rows = []
    for i, row in enumerate(raw):
        at = f"rank_correlation[{i}]"
        if not isinstance(row, list) or len(row) != size:
            got = f"{len(row)} numbers" if isinstance(row, list) else describe(row)
            block.error(at, f"must be a row of {size} numbers, got {got}")
            return None
        for j, value in enumerate(row):
            if not is_number(value) or not -1 <= value <= 1:
                block.error(f"{at}[{j}]", f"must be a number in [-1, 1], got {describe(value)}")
                return None
            if i == j and value != 1:
                block.error(f"{at}[{j}]", f"must be 1 (a field's correlation with itself), "
                                          f"got {describe(value)}")
                return None
        rows.append(tuple(float(v) for v in row))
    for i in range(size):
        for j in range(i):
            if abs(rows[i][j] - rows[j][i]) > SYMMETRY_TOLERANCE:
                block.error(f"rank_correlation[{i}][{j}]",
                            f"{rows[i][j]} differs from rank_correlation[{j}][{i}] "
                            f"({rows[j][i]}); the matrix must be symmetric")
                return None
    smallest = min(eigenvalues(gaussian_matrix(tuple(rows))))
    if smallest < -EIGEN_TOLERANCE:
        block.error("rank_correlation", f"is not a valid correlation matrix: no set of numbers "
                                        f"can have these rank correlations together (the "
                                        f"copula's matrix 2 sin(pi * rho / 6) has a negative "
                                        f"eigenvalue, {smallest:.3g})")
        return None
    return tuple(rows)


def eigenvalues(matrix: tuple[tuple[float, ...], ...]) -> list[float]:
    """The eigenvalues of a symmetric matrix by cyclic Jacobi rotations (no numpy here):
    exact to rounding for the sizes a schema declares."""
    a = [list(row) for row in matrix]
    n = len(a)
    for _sweep in range(100):
        off = sum(a[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off < 1e-22:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if abs(a[p][q]) < 1e-300:
                    continue
                theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):  # columns p and q
                    akp, akq = a[k][p], a[k][q]
                    a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):  # rows p and q
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
    return [a[i][i] for i in range(n)]
