"""Things that stay themselves across rows: a column whose values repeat (at least
ENTITY_MIN_VALUES of them, each seen ENTITY_MIN_REPEATS times on average) together with
columns that never change for one of its values (a tail number's airline, a country's
continent) becomes an entity, its key a `ref` and those columns `lookup`s.

The entity has a row per distinct value, most frequent first (entity row 0 is what a Zipf
popularity picks most); its columns are the distinct rows themselves, as `derived_map`s
from the entity key (the value) and from the value (each attribute), so every value keeps
its attributes. The popularity is `uniform` or the `zipf` exponent whose shares come
closest to the values' frequencies by total variation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.detect import Column, is_number_category
from services.infer.samples import Text
from services.infer.stats import significant

ENTITY_MIN_VALUES = 100  # fewer distinct values: a category and derived_maps read better
ENTITY_MAX_VALUES = 10_000  # more: the entity's tables would outgrow a file people read
ENTITY_MIN_REPEATS = 3  # rows per value on average; fewer make chance dependencies
KEY_TYPES = ("category", "string", "faker", "int")  # what an entity's value can be
ATTRIBUTE_TYPES = ("category", "string", "faker", "int", "float", "bool", "derived_map")
PROBE_ROWS = 50_000
ZIPF_S = np.round(np.arange(0.01, 3.0, 0.01), 2)  # exponents tried


def find_entities(columns: list[Column], text: dict[str, Text]) -> dict[str, dict]:
    """Rewrite `columns` in place: each entity's value and attributes become a ref and
    lookups where the value was. Returns the entities, as the schema's `entities` takes."""
    entities: dict[str, dict] = {}
    taken = {c.name for c in columns}
    i = 0
    while i < len(columns):
        column = columns[i]
        found = _entity_at(column, columns, text, taken) if column.type in KEY_TYPES else None
        if found is None:
            i += 1
            continue
        entity, replacement, absorbed = found
        entities[column.name] = entity
        columns[:] = [c for c in columns if all(c is not a for a in absorbed)]
        at = _position(columns, column.name)
        columns[at:at + 1] = replacement
        taken.add(replacement[0].name)
        i = _position(columns, replacement[-1].name) + 1
    return entities


def _codes(values: Text) -> tuple[np.ndarray, pa.Array]:
    encoded = pc.dictionary_encode(values).combine_chunks()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def _entity_at(column: Column, columns: list[Column], text: dict[str, Text], taken: set[str]
               ) -> tuple[dict, list[Column], list[Column]] | None:
    values = text[column.name]
    if values.null_count or "null_prob" in column.field:
        return None
    # distinct values are costly to count on a column of unique values: a probe first
    probe = values.slice(0, 100_000)
    if len(pc.unique(probe)) > len(probe) / ENTITY_MIN_REPEATS and len(probe) > 1000:
        return None
    codes, distinct = _codes(values)
    count = len(distinct)
    if not ENTITY_MIN_VALUES <= count <= ENTITY_MAX_VALUES or \
            len(values) < ENTITY_MIN_REPEATS * count:
        return None
    attributes = _attributes(column, columns, codes, count, text)
    if not attributes:
        return None
    return _built(column, attributes, columns, text, taken, codes, distinct)


def owner_entity(columns: list[Column], text: dict[str, Text]) -> dict[str, dict]:
    """The entity of episodes' owner when find_entities found none: the first whole-number
    column whose values repeat (a customer's orders), built as find_entities builds one
    (its observed values, their popularity, the columns it decides as lookups) whatever
    its number of values and repeats, up to ENTITY_MAX_VALUES, and even with no attribute.
    Rewrites `columns` in place; {} when no column fits."""
    for column in columns:
        values = text[column.name]
        if column.type != "int" or values.null_count or "null_prob" in column.field:
            continue
        codes, distinct = _codes(values)
        if not 2 <= len(distinct) <= ENTITY_MAX_VALUES or len(distinct) >= len(values):
            continue
        attributes = _attributes(column, columns, codes, len(distinct), text)
        entity, replacement, absorbed = _built(column, attributes, columns, text,
                                               {c.name for c in columns}, codes, distinct)
        columns[:] = [c for c in columns if all(c is not a for a in absorbed)]
        at = _position(columns, column.name)
        columns[at:at + 1] = replacement
        return {column.name: entity}
    return {}


def _attributes(column: Column, columns: list[Column], codes: np.ndarray, count: int,
                text: dict[str, Text]) -> list[Column]:
    """The columns the entity's value decides: those after it, then those before."""
    start = _position(columns, column.name)
    return [c for c in columns[start + 1:] if _decided(c, codes, count, text)] + \
        [c for c in columns[:start] if _decided(c, codes, count, text)]


def _built(column: Column, attributes: list[Column], columns: list[Column],
           text: dict[str, Text], taken: set[str], codes: np.ndarray, distinct: pa.Array
           ) -> tuple[dict, list[Column], list[Column]]:
    """The entity of the column's values, the ref and lookups that take its place, and
    the columns they absorb."""
    count = len(distinct)
    frequency = np.bincount(codes, minlength=count)
    first_row = np.zeros(count, dtype=np.int64)  # a row of each value, to read attributes
    first_row[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    sequence = _key_sequence([column, *attributes], first_row, text)
    if sequence is None:  # rows by frequency, a new key 1, 2, ... (Zipf picks row 0 most)
        order = np.argsort(-frequency, kind="stable")
        key_column, key, keys = None, _free(f"{column.name}_id", taken), None
        fields = [{"name": key, "type": "id_sequence", "start": 1}]
    else:  # an id the extract has already (one a generator wrote): rows in its order
        key_column, numbers = sequence
        order = np.argsort(numbers, kind="stable")
        key, keys = key_column.name, numbers[order]
        step = int(keys[1] - keys[0])
        fields = [{"name": key, "type": "id_sequence", "start": int(keys[0]),
                   **({"step": step} if step != 1 else {})}]
        attributes = [a for a in attributes if a is not key_column]
    ranked = [_value(column, distinct[int(j)].as_py()) for j in order]
    if key_column is not column:
        labels = [str(k) for k in (keys if keys is not None else range(1, count + 1))]
        fields.append({"name": column.name, "type": "derived_map", "from_field": key,
                       "map": dict(zip(labels, ranked, strict=True))})
    for attribute in attributes:
        cells = text[attribute.name].take(pa.array(first_row[order])).to_pylist()
        fields.append({"name": attribute.name, "type": "derived_map",
                       "from_field": column.name,
                       "map": {str(k): _value(attribute, v) for k, v in
                               zip(ranked, cells, strict=True)}})
    popularity, tv = fit_popularity(frequency[order])
    names = ", ".join(a.name for a in attributes) or "its key"
    entity = {"description": f"the {count:,} values of {column.name} with what never changes "
                             f"for one: {names}", "count": count, "key": key, "fields": fields}
    ref = Column(key, {"name": key, "type": "ref", "entity": column.name,
                       "popularity": popularity},
                 notes=[f"picks a {column.name}: {popularity['kind']} popularity, total "
                        f"variation {tv:.3f} from the values' frequencies"])
    attributes.sort(key=lambda c: _position(columns, c.name))
    shown = attributes if key_column is column else [column, *attributes]
    lookups = [_lookup(c, key, text) for c in shown]
    note = f"{count:,} values, {len(codes) / count:.1f} rows each on average"
    (lookups[0] if key_column is not column else ref).notes.insert(0, note)
    absorbed = [*attributes, *([key_column] if key_column not in (None, column) else [])]
    return entity, [ref, *lookups], absorbed


def _key_sequence(candidates: list[Column], first_row: np.ndarray, text: dict[str, Text]
                  ) -> tuple[Column, np.ndarray] | None:
    """A whole-number column among the candidates (the entity's value first, then its
    attributes) with a distinct value per entity row that are evenly spaced, as an
    id_sequence writes them: the key itself, so no new column is added. With its value
    for each entity row (in the order of `first_row`)."""
    for candidate in candidates:
        if candidate.type != "int" and not (candidate.type == "category" and candidate.value_of
                                            and all(type(v) is int
                                                    for v in candidate.value_of.values())):
            continue
        numbers = text[candidate.name].take(pa.array(first_row)).cast(pa.int64()).to_numpy()
        steps = np.diff(np.sort(numbers))
        if len(steps) and steps[0] > 0 and np.all(steps == steps[0]):
            return candidate, numbers
    return None


def _decided(candidate: Column, codes: np.ndarray, count: int, text: dict[str, Text]) -> bool:
    """Whether the candidate has one value for each value of the entity's (and is not
    constant): in every row, the value it has in the first row of that entity value. Tried
    on the first PROBE_ROWS rows first, as most candidates fail there at once."""
    if candidate.type not in ATTRIBUTE_TYPES or "null_prob" in candidate.field:
        return False
    values = text[candidate.name]
    probe = min(PROBE_ROWS, len(values))
    head = values.slice(0, probe)
    if len(pc.unique(head)) > count or not _follows(codes[:probe], count, _codes(head)[0]):
        return False
    other, distinct = _codes(values)
    return len(distinct) >= 2 and _follows(codes, count, other)


def _follows(codes: np.ndarray, count: int, other: np.ndarray) -> bool:
    first = np.full(count, -2, dtype=np.int64)
    first[codes[::-1]] = other[::-1]  # the last write wins: each value's first row
    return bool(np.all(first[codes] == other))


def _lookup(column: Column, key: str, text: dict[str, Text]) -> Column:
    """The lookup that takes the column's place; its labels (each row's text) kept for a
    column of labels: text, whole numbers of a category, booleans."""
    labels = None
    if column.type == "bool":
        labels = column.labels
    elif column.type in ("category", "string", "faker") and all(
            isinstance(v, int) for v in column.value_of.values()):
        labels = text[column.name]
    numeric = column.type in ("int", "float") or is_number_category(column)
    return Column(column.name, {"name": column.name, "type": "lookup", "ref": key,
                                "attribute": column.name},
                  labels=labels, value_of=column.value_of, numeric=numeric,
                  notes=[f"one value for each {key}: the entity's"])


def _value(column: Column, cell: str):
    """A cell as the value the generator should write: numbers as numbers, booleans as
    booleans, text as it is."""
    if column.type == "bool":
        return cell.lower() in ("true", "yes", "y", "t", "1")
    if cell in column.value_of:
        return column.value_of[cell]
    if column.type == "int":
        return int(cell)
    if column.type == "float":
        return float(cell)
    return cell


def _position(columns: list[Column], name: str) -> int:
    return next(i for i, c in enumerate(columns) if c.name == name)


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    return candidate


def fit_popularity(counts: np.ndarray) -> tuple[dict, float]:
    """`uniform` or the `zipf` exponent whose shares over the ranks (counts sorted, most
    frequent first) come closest by total variation, and that distance."""
    p = counts / counts.sum()
    best = ({"kind": "uniform"}, 0.5 * float(np.abs(p - 1 / len(p)).sum()))
    ranks = np.arange(1, len(p) + 1, dtype=np.float64)
    for s in ZIPF_S:
        q = ranks ** -s
        tv = 0.5 * float(np.abs(p - q / q.sum()).sum())
        if tv < best[1] - 1e-9:
            best = ({"kind": "zipf", "s": significant(float(s), 3)}, tv)
    return best
