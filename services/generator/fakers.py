"""Faker fields draw from a pool of provider values made once per run (Faker makes one value
per Python call, far too slow per row); blocks sample the pool column-at-a-time. A pool
depends only on the seed and the field's place, so every process draws the same one."""

from __future__ import annotations

import pyarrow as pa

from services.generator.columns import typed_values
from services.schema import Dataset, FakerField, make_faker, to_scalar


def draw_pool(field: FakerField, seed: int) -> list:
    fake = make_faker(field.locale)
    fake.seed_instance(seed)
    method = getattr(fake, field.provider)
    args = dict(field.args)
    return [to_scalar(method(**args)) for _ in range(field.pool_size)]


def faker_pools(dataset: Dataset, seed: int) -> dict[str, pa.Array]:
    """Each Faker field's pool, typed as its values are (text when a provider mixes types)."""
    pools = {}
    for index, field in enumerate(dataset.fields):
        if isinstance(field, FakerField):
            values = draw_pool(field, seed + index)
            try:
                pools[field.name] = typed_values(values, field.value_kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pools[field.name] = typed_values(values, "string")
    return pools
