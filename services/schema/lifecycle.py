"""An entity's `lifecycle`: a state machine each of its episodes walks (a customer's order
from created to delivered, a visitor's session of page views), one output row per state
entered.

Parsed with the entity (`parse_lifecycle`); bound to the main schema by `bind_lifecycle`,
which finds the schema's ref to the entity and its one datetime field (the start times), and
adds the state column and the per-state fields to the dataset's columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from services.schema.changes import Changes, check_changes, parse_changes
from services.schema.field_list import COLUMN_NAME, Declared, parse_field_list
from services.schema.fields import CategoryField, DatetimeField, Field, FloatField, ParseContext
from services.schema.links import RefField
from services.schema.reader import Obj, Problems, describe, unknown_value
from services.schema.values import Choice

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400}
P_TOLERANCE = 1e-6  # transitions' p plus `end` must sum to 1 within this
DEFAULT_MAX_STEPS = 100


@dataclass(frozen=True)
class Transition:
    to: str
    p: float
    delay: FloatField  # in the lifecycle's unit; capped at max_delay


@dataclass(frozen=True)
class Timeout:
    """Inactivity: a drawn delay longer than `after` (in the unit) becomes a move to `to`
    at `after` (a session's end)."""

    after: float
    to: str


@dataclass(frozen=True)
class State:
    name: str
    transitions: tuple[Transition, ...] = ()
    end: float = 0.0  # the probability that the episode ends here
    terminal: bool = False
    timeout: Timeout | None = None


@dataclass(frozen=True)
class Lifecycle:
    entity: str
    state_field: str
    initial: str
    states: tuple[State, ...]
    unit: int  # seconds in one unit of the delays
    max_delay: float  # in the unit: every delay is capped at it
    max_steps: int  # transitions after the initial state, at most
    fields: tuple[tuple[str, tuple[Field, ...]], ...] = ()  # per state
    ref: str = ""  # the main schema's ref to the entity (set by bind_lifecycle)
    time_field: str = ""  # the main schema's datetime field: the start times
    changes: Changes | None = None  # as a table's change stream (services.schema.changes)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def horizon(self) -> int:
        """Seconds from an episode's start to its last row, at most."""
        return self.max_steps * math.ceil(self.max_delay * self.unit)

    @property
    def extra_fields(self) -> tuple[Field, ...]:
        return tuple(f for _, fields in self.fields for f in fields)

    def state_column(self) -> CategoryField:
        return CategoryField(self.state_field, 0.0, tuple(Choice(n, 1.0) for n in self.names))


def parse_lifecycle(entity: Obj, name: str, context: ParseContext) -> Lifecycle | None:
    obj = entity.obj("lifecycle")
    if obj is None:
        return None
    mark = len(obj.problems)
    state_field = obj.str("state_field", "state")
    if state_field is not None and not COLUMN_NAME.match(state_field):
        obj.error("state_field", f"{state_field!r} is not a valid column name")
    unit = obj.str("delay_unit", required=True, choices=UNITS)
    max_delay = obj.number("max_delay", required=True, above=0)
    max_steps = obj.int("max_steps", DEFAULT_MAX_STEPS, minimum=1, maximum=10_000)
    raw_states = obj.obj("states", required=True)
    states = _states(raw_states) if raw_states is not None else ()
    names = tuple(k for k in raw_states.data if k not in ("description", "comment")) \
        if raw_states is not None else ()
    initial = obj.str("initial", names[0] if names else None)
    if initial is not None and names and initial not in names:
        obj.error("initial", unknown_value("state", initial, names))
    fields = _state_fields(obj, names, context)
    changes = parse_changes(obj.obj("changes"), states)
    obj.finish()
    if raw_states is not None and names:
        _check_targets(raw_states, states, names)
        if initial in names and len(obj.problems) == mark:  # else the edges are not all known
            _check_reachable(raw_states, states, initial)
    if len(obj.problems) > mark or None in (state_field, unit, max_delay, initial):
        return None
    return Lifecycle(name, state_field, initial, states, UNITS[unit], float(max_delay),
                     max_steps or DEFAULT_MAX_STEPS, fields, changes=changes)


def _states(obj: Obj) -> tuple[State, ...]:
    raw = {k: v for k, v in obj.data.items() if k not in ("description", "comment")}
    obj.waive_rest()
    if not raw:
        obj.error(None, "declares no state; give at least one")
    states = []
    for name, value in raw.items():
        state = _state(Obj.of(value, obj.at(name), obj.problems), name)
        if state is not None:
            states.append(state)
    return tuple(states)


def _state(obj: Obj | None, name: str) -> State | None:
    if obj is None:
        return None
    if not COLUMN_NAME.match(name):
        obj.error(None, f"{name!r} is not a valid state name; accepted: letters, digits and "
                        "_, not starting with a digit")
    terminal = obj.bool("terminal", False)
    end = obj.number("end", 1.0 if terminal else 0.0, minimum=0, maximum=1)
    raw = obj.list("transitions") or []
    parsed = [_transition(Obj.of(item, f"{obj.at('transitions')}[{i}]", obj.problems))
              for i, item in enumerate(raw)]
    transitions = tuple(t for t in parsed if t is not None)
    timeout = _timeout(obj.obj("timeout"))
    obj.finish()
    if terminal:
        for key in ("transitions", "timeout", "end"):
            if obj.has(key):
                obj.error(key, "a terminal state has no way out: leave it out, or make the "
                               "state non-terminal")
        return State(name, terminal=True, end=1.0)
    if not raw and not end:
        obj.error(None, "has no way out and is not terminal: give transitions, an 'end' "
                        "probability, or \"terminal\": true")
        return None
    total = sum(t.p for t in transitions) + (end or 0.0)
    if len(transitions) == len(raw) and end is not None and abs(total - 1) > P_TOLERANCE:
        obj.error("transitions", f"probabilities sum to {total:g} (with end {end:g}); they "
                                 f"must sum to 1 (tolerance {P_TOLERANCE:g})")
    targets = [t.to for t in transitions]
    for target in {t for t in targets if targets.count(t) > 1}:
        obj.error("transitions", f"two transitions to {target!r}; give one with their p summed")
    return State(name, transitions, end or 0.0, False, timeout)


def _transition(obj: Obj | None) -> Transition | None:
    if obj is None:
        return None
    to = obj.str("to", required=True)
    p = obj.number("p", required=True, minimum=0, maximum=1)
    raw = obj.obj("delay", required=True)
    delay = None
    if raw is not None:
        delay = FloatField.parse_margin(raw, {"name": "delay", "null_prob": 0.0})
        raw.finish()
    obj.finish()
    if None in (to, p, delay):
        return None
    return Transition(to, float(p), delay)


def _timeout(obj: Obj | None) -> Timeout | None:
    if obj is None:
        return None
    after = obj.number("after", required=True, above=0)
    to = obj.str("to", required=True)
    obj.finish()
    return None if None in (after, to) else Timeout(float(after), to)


def _check_targets(obj: Obj, states: tuple[State, ...], names: tuple[str, ...]) -> None:
    for state in states:
        for i, t in enumerate(state.transitions):
            if t.to not in names:
                obj.problems.add(f"{obj.at(state.name)}.transitions[{i}].to",
                                 unknown_value("state", t.to, names))
        if state.timeout and state.timeout.to not in names:
            obj.problems.add(f"{obj.at(state.name)}.timeout.to",
                             unknown_value("state", state.timeout.to, names))


def _check_reachable(obj: Obj, states: tuple[State, ...], initial: str) -> None:
    edges = {s.name: [t.to for t in s.transitions] + ([s.timeout.to] if s.timeout else [])
             for s in states}
    seen, todo = {initial}, [initial]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for state in states:
        if state.name not in seen:
            obj.problems.add(obj.at(state.name), f"is unreachable from the initial state "
                                                 f"{initial!r}: no transition leads to it")


def _state_fields(obj: Obj, names: tuple[str, ...], context: ParseContext,
                  ) -> tuple[tuple[str, tuple[Field, ...]], ...]:
    raw = obj.obj("fields")
    if raw is None:
        return ()
    out = []
    for state, value in raw.data.items():
        path = raw.at(state)
        if state in ("description", "comment"):
            continue
        if names and state not in names:
            obj.problems.add(path, unknown_value("state", state, names))
            continue
        if not isinstance(value, list) or not value:
            obj.problems.add(path, f"must be a non-empty list of fields, got {describe(value)}")
            continue
        lone = ParseContext({}, context.entities, context.entity_names)
        declared = parse_field_list(value, path, obj.problems, lone)
        for index, field in enumerate(declared.fields):
            if isinstance(field, DatetimeField) and field.mode == "ramp":
                obj.problems.add(f"{path}[{index}].mode", "a ramp orders a column's rows; a "
                                 "per-state field's rows are in time order already: use "
                                 "uniform or seasonality")
        out.append((state, declared.fields))
    raw.waive_rest()
    return tuple(out)


def bind_lifecycle(entities, declared: Declared, problems: Problems,
                   ) -> tuple[Lifecycle | None, Declared]:
    """The lifecycle the main schema's rows walk (that of the entity its ref points to), and
    the declared fields with the state column and the per-state fields added."""
    cycles = [e.lifecycle for e in entities if e.lifecycle is not None]
    if not cycles:
        return None, declared
    if len(cycles) > 1:
        problems.add("entities", "more than one entity declares a lifecycle "
                     f"({', '.join(c.entity for c in cycles)}); a dataset walks one")
        return None, declared
    cycle = cycles[0]
    where = f"entities.{cycle.entity}.lifecycle"
    refs = [f.name for f in declared.fields
            if isinstance(f, RefField) and f.entity == cycle.entity]
    times = [f.name for f in declared.fields if isinstance(f, DatetimeField)]
    if len(refs) != 1:
        problems.add(where, f"schema.fields must have exactly one ref to {cycle.entity!r} (the "
                            f"entity each episode belongs to); found {len(refs)}")
    if len(times) != 1:
        problems.add(where, "schema.fields must have exactly one datetime field (the episodes' "
                            f"start times, then each row's time); found {len(times)}")
    extra = (cycle.state_column(), *cycle.extra_fields)
    for field in extra:
        if field.name in declared.names:
            problems.add(where, f"the column {field.name!r} (a state field or a per-state "
                                "field) is also a field of schema.fields; names must be unique")
    clashes = [f.name for f in extra]
    for name in {n for n in clashes if clashes.count(n) > 1}:
        problems.add(where, f"the column {name!r} is given twice (state_field and per-state "
                            "fields share the row's columns)")
    if cycle.changes is not None:
        check_changes(cycle.changes, where, cycle.initial, declared.fields, cycle.fields,
                      problems)
    if len(refs) != 1 or len(times) != 1:
        return None, declared
    bound = replace(cycle, ref=refs[0], time_field=times[0])
    return bound, Declared(declared.fields + extra, declared.names | {f.name for f in extra},
                           declared.readable)
