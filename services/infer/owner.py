"""Where a learned lifecycle goes: the schema format hangs a lifecycle on an entity, and the
rows need exactly one ref to it (services.schema.lifecycle.bind_lifecycle). The entity is,
in order: the one the first ref of the episodes' columns picks (a flat entity, or the owner
services.infer.entities.owner_entity made of whole numbers that repeat, with their observed
values and attributes); a column that repeats across episodes (a visitor's several
sessions) made a bare entity of its own values (uuids, or whole numbers with nulls or over
ENTITY_MAX_VALUES values as an id_sequence) with the popularity that fits; else a one-row `owner`
entity and its constant ref column, which the data did not have (said in its
description)."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow.compute as pc

from services.infer.entities import fit_popularity
from services.infer.episodes import Roles
from services.infer.lifecycle import Learned

log = logging.getLogger("infer.owner")


def attach_lifecycle(doc: dict, learned: Learned, roles: Roles) -> None:
    """Hang the lifecycle on its entity, in place; `entities` is kept before `schema`."""
    fields = doc["schema"]["fields"]
    entities = doc.get("entities", {})
    refs = [f for f in fields if f["type"] == "ref"]
    entity = refs[0]["entity"] if refs else _bare_entity(fields, entities, learned, roles)
    entities[entity]["lifecycle"] = learned.lifecycle
    rest = {k: doc.pop(k) for k in list(doc) if k in ("entities", "schema", "analysis",
                                                       "timeline")}
    doc.update(entities=entities, **{k: v for k, v in rest.items() if k != "entities"})
    analysis = doc.get("analysis", {})
    if roles.state not in analysis.get("dimensions", [roles.state]):
        analysis["dimensions"].insert(0, roles.state)


def _bare_entity(fields: list[dict], entities: dict, learned: Learned, roles: Roles) -> str:
    for spec in fields:
        name = spec["name"]
        if name in (roles.id, roles.time) or name in entities:
            continue
        key = _key(spec, learned.starts.columns[name])
        if key is None:
            continue
        counts = pc.value_counts(learned.starts.columns[name])
        frequency = np.sort(counts.field("counts").to_numpy())[::-1]
        popularity, tv = fit_popularity(frequency)
        entities[name] = {"description": f"the {len(frequency):,} values of {name}, each "
                                         "starting episodes", "count": len(frequency),
                          "key": name, "fields": [key]}
        spec.clear()
        spec.update(name=name, type="ref", entity=name, popularity=popularity,
                    description=f"the episodes' {name}: {popularity['kind']} popularity, "
                                f"total variation {tv:.3f} from the values' frequencies")
        return name
    taken = {f["name"] for f in fields}
    name = next(n for n in ("owner", "owner_id", "lifecycle_owner") if n not in taken)
    entities[name] = {"description": "a single owner of every episode: no column of the "
                                     "data repeats across episodes", "count": 1,
                      "key": name, "fields": [{"name": name, "type": "id_sequence"}]}
    fields.append({"name": name, "type": "ref", "entity": name,
                   "description": "not in the data: the schema format needs an entity to "
                                  "hang the lifecycle on"})
    log.warning("no column repeats across the episodes of %s: added the constant column %s "
                "(the lifecycle's entity)", roles.id, name)
    return name


def _key(spec: dict, text) -> dict | None:
    """The key field of a bare entity of these values, or None when they do not repeat
    across episodes or are neither uuids nor whole numbers."""
    if text.null_count or pc.count_distinct(text).as_py() >= len(text):
        return None
    if spec["type"] == "uuid":
        return {"name": spec["name"], "type": "uuid"}
    if spec["type"] in ("int", "id_sequence"):
        low = int(pc.min(text.cast("int64")).as_py())
        return {"name": spec["name"], "type": "id_sequence", "start": low}
    return None
