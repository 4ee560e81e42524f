"""Relations between columns: a column that is earlier ones joined (`derived_concat`), a
category that one earlier label decides (`derived_map`) or leans on (`conditional_on`, when
Cramér's V reaches CONDITIONAL_V), a flag that says whether two earlier columns are equal
(`derived_compare`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.detect import Column
from services.infer.samples import Text
from services.infer.stats import cramers_v
from services.infer.strings import CATEGORY_MAX, OTHER, weighted

CONDITIONAL_V = 0.3  # Cramér's V at which a category is drawn per value of another
SEPARATORS = ("|", "-", "_", ":", "/", ";", ",", " ", ".", "")
MAX_PARTS = 6
PROBE_ROWS = 5  # rows tried as the example a concatenation is read from
COMPARE_PROBE = 256  # rows a pair of columns must match a flag on before all are read


def find_dependencies(columns: list[Column], text: dict[str, Text]) -> None:
    """Rewrite the fields of `columns` in place where a dependency explains a column."""
    for column in columns:  # whole numbers of a category are written as the sample has them
        if column.type == "category" and column.labels is None and column.value_of and all(
                type(v) is int for v in column.value_of.values()):
            column.labels = text[column.name]
    for i, column in enumerate(columns):
        earlier = columns[:i]
        if column.type in ("category", "string", "faker") and "null_prob" not in column.field:
            parts = concat_parts(text[column.name],
                                 [c.name for c in earlier if _text_faithful(c)], text)
            if parts is not None:
                names, sep = parts
                column.field = _keep(column.field, {"type": "derived_concat", "parts": names,
                                                    "sep": sep})
                column.labels = None
                column.notes = [f"always {sep!r}.join of {', '.join(names)}"]
                continue
        if column.type == "bool" and _compared(column, earlier, text):
            continue
        if column.type == "category" and "choices" in column.field:
            _conditional(column, [c for c in earlier if _is_label(c)], text[column.name])


def _is_label(column: Column) -> bool:
    """A source a table can be keyed by: its every value is a known label."""
    return column.labels is not None and column.type in ("bool", "category") and \
        len(column.field.get("choices", ())) <= CATEGORY_MAX


def _text_faithful(column: Column) -> bool:
    """Whether the generator writes this column's values with the sample's very text."""
    if column.type == "category":
        if any(c["value"] == OTHER for c in column.field.get("choices", ())):
            return False  # the generator writes OTHER for what the sample spelt out
        return not column.value_of or all(isinstance(v, int) for v in column.value_of.values())
    if column.type == "bool":
        return not column.notes and column.labels is not None
    return column.type in ("uuid", "id_sequence", "int", "string", "faker", "derived_concat",
                           "derived_map")


def _compared(column: Column, earlier: list[Column], text: dict[str, Text]) -> bool:
    """Rewrite a flag that is, in every row, whether two earlier columns' text is equal (or
    differs) as that `derived_compare`. Pairs are tried on a probe of COMPARE_PROBE rows,
    half of them true (a rare flag's first rows would all be false, as two columns that
    never agree are), then checked on all."""
    if column.notes or "null_prob" in column.field or not 0 < column.field["p_true"] < 1:
        return False
    names = [c.name for c in earlier if _text_faithful(c) and "null_prob" not in c.field
             and c.type != "bool"]
    truth = pc.equal(column.labels, "true")
    flags = truth.to_numpy(zero_copy_only=False)
    half = COMPARE_PROBE // 2
    rows = pa.array(np.sort(np.concatenate([np.flatnonzero(flags)[:half],
                                            np.flatnonzero(~flags)[:half]])))
    probe, cells = truth.take(rows), {name: text[name].take(rows) for name in names}
    for i, left in enumerate(names):
        for right in names[i + 1:]:
            same = pc.equal(cells[left], cells[right])
            for op, flag in (("==", same), ("!=", pc.invert(same))):
                if not pc.all(pc.equal(flag, probe)).as_py():
                    continue
                whole = pc.equal(text[left], text[right])
                if pc.all(pc.equal(whole if op == "==" else pc.invert(whole), truth)).as_py():
                    column.field = _keep(column.field, {"type": "derived_compare",
                                                        "left": left, "op": op,
                                                        "right": right})
                    column.notes = [f"true where {left} {op} {right}, in every row"]
                    return True
    return False


def _keep(old: dict, new: dict) -> dict:
    """A new field spec under the old name and null_prob."""
    kept = {k: old[k] for k in ("null_prob",) if k in old}
    return {"name": old["name"], **new, **kept}


def concat_parts(target: Text, names: Sequence[str], text: dict[str, Text]
                 ) -> tuple[list[str], str] | None:
    """Earlier columns and a separator whose join is the target in every row, or None.
    Candidates are read off a few example rows, then checked on every row."""
    if len(names) < 2 or target.null_count:
        return None
    for row in range(min(PROBE_ROWS, len(target))):
        example = target[row].as_py()
        cells = {n: text[n][row].as_py() or "" for n in names}
        for sep in SEPARATORS:
            for parts in _splits(example, sep, names, cells, []):
                joined = pc.binary_join_element_wise(
                    *[pc.fill_null(text[n], "") for n in parts], sep)
                if pc.all(pc.equal(joined, target)).as_py():
                    return parts, sep
    return None


def _splits(rest: str, sep: str, names: Sequence[str], cells: dict[str, str],
            taken: list[str]):
    """Sequences of 2..MAX_PARTS columns whose cells joined by sep spell `rest`."""
    if len(taken) >= MAX_PARTS:
        return
    for name in names:
        cell = cells[name]
        if not cell or not rest.startswith(cell):
            continue
        if rest == cell and len(taken) >= 1:
            yield [*taken, name]
        elif sep and rest.startswith(cell + sep):
            yield from _splits(rest[len(cell) + len(sep):], sep, names, cells, [*taken, name])
        elif not sep and len(rest) > len(cell):
            yield from _splits(rest[len(cell):], sep, names, cells, [*taken, name])


def _codes(labels: Text) -> tuple[np.ndarray, list]:
    """Each row's index among the distinct labels (-1 when empty), and the labels."""
    distinct = pc.unique(labels).drop_null()
    codes = pc.fill_null(pc.index_in(labels, value_set=distinct), -1)
    return codes.to_numpy().astype(np.int64), distinct.to_pylist()


def _conditional(column: Column, sources: list[Column], target_text: Text) -> None:
    """Draw the category per value of the earlier label it depends on most, if any."""
    if not sources:
        return
    target_codes, target_values = _codes(target_text)
    best, best_v = None, CONDITIONAL_V
    for source in sources:
        source_codes, source_values = _codes(source.labels)
        both = (source_codes >= 0) & (target_codes >= 0)
        v = cramers_v(source_codes[both], len(source_values), target_codes[both],
                      len(target_values))
        if v >= best_v:
            best, best_v = (source, source_codes, source_values), v
    if best is None:
        return
    source, source_codes, source_values = best
    both = (source_codes >= 0) & (target_codes >= 0)
    size = len(target_values)
    table = np.bincount(source_codes[both] * size + target_codes[both],
                        minlength=len(source_values) * size).reshape(-1, size)
    values = [column.value_of.get(v, v) for v in target_values]
    if np.all((table > 0).sum(axis=1) == 1) and "null_prob" not in column.field:
        mapping = {key: values[int(np.argmax(row))] for key, row in zip(source_values, table,
                                                                          strict=True)}
        spec = {"type": "derived_map", "from_field": source.name, "map": mapping}
        if "null_prob" in source.field:  # its empty rows take the most common value
            spec["default"] = values[int(np.argmax(table.sum(axis=0)))]
        column.field = _keep(column.field, spec)
        column.notes = [f"decided by {source.name} (each value of it gives one value)"]
        column.labels = None
        return
    rows = {}
    for key, row in zip(source_values, table, strict=True):
        order = np.argsort(-row, kind="stable")
        order = order[row[order] > 0]
        rows[key] = weighted([values[j] for j in order], row[order])
    if "null_prob" in source.field:  # the rows where the source is empty
        empty = target_codes[(source_codes < 0) & (target_codes >= 0)]
        counts = np.bincount(empty, minlength=size)
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] > 0]
        rows["_default"] = weighted([values[j] for j in order], counts[order]) \
            if len(order) else column.field["choices"]
    column.field = _keep(column.field, {"type": "category", "conditional_on": source.name,
                                        "conditional_table": rows})
    column.notes = [f"depends on {source.name}: Cramér's V {best_v:.2f} "
                    f"(>= {CONDITIONAL_V})"]
