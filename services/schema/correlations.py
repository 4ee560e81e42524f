"""`correlations`: blocks of numbers that move together, beside `fields` in `schema` and in
each entity. A block names its fields and their Spearman rank correlations; the generator
draws them through a Gaussian copula whose parameter is r = 2 sin(pi * rho / 6), so the
matrix of those r must be a correlation matrix (positive semi-definite). A category of
numbers is a member too: its u picks among its values in their numeric order. One member may
be a lookup of numbers (an entity's attribute): its value comes with the row's entity, and
the other members are drawn given its rank, among its entity's rows or within each level of
`within` (another lookup through the same ref)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.schema.field_list import Declared
from services.schema.fields import CategoryField, DatetimeField, Field, FloatField, IntField
from services.schema.links import LookupField
from services.schema.reader import Obj, describe, is_number, unknown_value
from services.schema.values import BOOLEAN, FLOAT, INTEGER

SYMMETRY_TOLERANCE = 1e-9
EIGEN_TOLERANCE = 1e-9  # a smallest eigenvalue down to -1e-9 is rounding, not a bad matrix
ACCEPTED = ("int, float, a category of numbers, datetime with mode 'uniform', or a lookup of "
            "numbers")


@dataclass(frozen=True)
class Correlation:
    """One block: its fields, in order, and their rank correlation matrix."""

    fields: tuple[str, ...]
    rank_correlation: tuple[tuple[float, ...], ...]
    lookup: str | None = None  # the member drawn with its entity, the rest given it
    within: str | None = None  # the lookup ranked within each level of this lookup
    per_level: tuple[tuple[str, tuple[tuple[float, ...], ...]], ...] = ()  # level -> matrix

    def gaussian_at(self, which: int) -> tuple[tuple[float, ...], ...]:
        """The copula's matrix of rank_correlation (0, for the levels not listed) or of the
        which-th level of per_level."""
        return gaussian_matrix(self.per_level[which - 1][1] if which else self.rank_correlation)

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
        lookup = _lookup(block, declared, names) if names is not None else None
        within = _within(block, declared, names, lookup)
        per_level = _per_level(block, declared, within, names)
        block.finish()
        if names is not None and matrix is not None and len(obj.problems) == mark:
            blocks.append(Correlation(names, matrix, lookup, within, per_level))
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
    """Why the field cannot be in a block (its values have no inverse CDF and, for a lookup,
    no order), or None."""
    if isinstance(field, (IntField, FloatField)):
        return None
    if isinstance(field, LookupField):
        kind = field.value_kind
        return None if kind in (INTEGER, FLOAT) else \
            f"a lookup of {'booleans' if kind == BOOLEAN else 'text or times'}"
    if isinstance(field, DatetimeField):
        return None if field.mode == "uniform" else \
            f"a datetime field with mode {field.mode!r}"
    if isinstance(field, CategoryField):
        kind = field.value_kind
        return None if kind in (INTEGER, FLOAT) else \
            f"a category field of {'booleans' if kind == BOOLEAN else 'text'}"
    return f"a {field.type_name} field"


def _lookup(block: Obj, declared: Declared, names: tuple[str, ...]) -> str | None:
    """The block's lookup: one at most, declared before the block's other fields (they
    are drawn given it)."""
    lookups = [(i, name) for i, name in enumerate(names)
               if isinstance(declared.field(name), LookupField)]
    if len(lookups) > 1:
        (_, first), (i, second) = lookups[:2]
        block.error(f"fields[{i}]", f"{second!r} is a second lookup in this block (after "
                                    f"{first!r}); a block holds one lookup at most")
        return None
    if not lookups:
        return None
    at, name = lookups[0]
    order = [f.name for f in declared.fields]
    before = [other for other in names if other != name and other in order
              and order.index(other) < order.index(name)]
    if before:
        block.error(f"fields[{at}]", f"lookup {name!r} is declared after {before[0]!r}, "
                                     "another field of this block; a block's lookup comes "
                                     "before its other fields (they are drawn given it)")
        return None
    return name


def _within(block: Obj, declared: Declared, names: tuple[str, ...] | None,
            lookup: str | None) -> str | None:
    """`within`: another lookup through the block's lookup's ref; the lookup's ranks are
    then taken within each of its levels."""
    name = block.str("within")
    if name is None or names is None:
        return None
    if lookup is None:
        if not any(isinstance(declared.field(n), LookupField) for n in names):
            block.error("within", "applies to a block with a lookup among its fields (the "
                                  "lookup is ranked within each level); this block has none")
        return None
    ref = declared.field(lookup).ref
    field = declared.field(name)
    if field is None and name in declared.names:
        return None  # a field with problems of its own: reported there
    if not isinstance(field, LookupField) or field.ref != ref or name in names:
        accepted = [f.name for f in declared.fields if isinstance(f, LookupField)
                    and f.ref == ref and f.name not in names]
        what = f"names no field: {name!r}" if field is None else \
            f"{name!r} is a field of this block" if name in names else \
            f"{name!r} is not a lookup through {ref!r}"
        block.error("within", f"{what}; accepted: another lookup through {ref!r}, the ref "
                              f"of {lookup!r} ({', '.join(accepted) or 'none declared'})")
        return None
    return name


def _per_level(block: Obj, declared: Declared, within: str | None,
               names: tuple[str, ...] | None) -> tuple:
    """`per_level`: a matrix for some levels of `within` (as CSV shows them), in place of
    rank_correlation there."""
    raw = block.obj("per_level")
    if raw is None:
        return ()
    if within is None or names is None:
        if names is not None and block.data.get("within") is None:
            raw.error(None, "needs within (the lookup whose levels these are)")
        raw.waive_rest()
        return ()
    known = declared.field(within).known_values
    out = []
    for level in raw.data:
        if known is not None and level not in known:
            raw.raw(level)
            raw.error(level, f"{unknown_value('level', level, known)} (the levels of "
                             f"{within!r})")
            continue
        matrix = _matrix(raw, len(names), level)
        if matrix is not None:
            out.append((level, matrix))
    raw.finish()
    return tuple(out)


def _matrix(block: Obj, size: int, key: str = "rank_correlation",
            ) -> tuple[tuple[float, ...], ...] | None:
    raw = block.list(key, required=True)
    if raw is None:
        return None
    shape = f"a {size} x {size} matrix (one row per field, in the order of fields)"
    if len(raw) != size:
        block.error(key, f"must be {shape}, got {len(raw)} rows")
        return None
    rows = []
    for i, row in enumerate(raw):
        at = f"{key}[{i}]"
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
                block.error(f"{key}[{i}][{j}]",
                            f"{rows[i][j]} differs from {key}[{j}][{i}] "
                            f"({rows[j][i]}); the matrix must be symmetric")
                return None
    smallest = min(eigenvalues(gaussian_matrix(tuple(rows))))
    if smallest < -EIGEN_TOLERANCE:
        block.error(key, f"is not a valid correlation matrix: no set of numbers "
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
