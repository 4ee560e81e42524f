"""Reads cached by the files' modification times and sizes, so polling costs a few stat()
calls when nothing changed, and a change is seen on the next request."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Signature = tuple[Any, ...]


def file_signature(path: Path) -> Signature:
    """(name, mtime_ns, size) of a file, or (name, None) when it is missing."""
    try:
        stat = os.stat(path)
    except OSError:
        return (path.name, None)
    return (path.name, stat.st_mtime_ns, stat.st_size)


def folder_signature(path: Path, keep: Callable[[str], bool] = lambda name: True) -> Signature:
    """The signatures of a folder's visible files (those `keep` accepts), sorted by name."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return (path.name, None)
    items = []
    for entry in entries:
        if entry.name.startswith(".") or not keep(entry.name):
            continue
        try:
            stat = entry.stat()
        except OSError:
            continue  # removed between listing and stat: the next poll sees the new state
        items.append((entry.name, stat.st_mtime_ns, stat.st_size))
    return (path.name, tuple(sorted(items)))


def version_of(signatures: Iterable[Signature]) -> str:
    """A short token that changes whenever any output changes; pages refetch on a new one."""
    return hashlib.sha1(repr(tuple(signatures)).encode()).hexdigest()[:12]


def latest_mtime(signatures: Iterable[Signature]) -> float | None:
    """The newest modification time (seconds) found in some signatures, for "last updated"."""
    newest: int | None = None
    for sig in signatures:
        for value in _mtimes(sig):
            newest = value if newest is None else max(newest, value)
    return None if newest is None else newest / 1e9


def _mtimes(sig: Any) -> Iterable[int]:
    if isinstance(sig, tuple):
        if len(sig) == 3 and isinstance(sig[0], str) and isinstance(sig[1], int):
            yield sig[1]
            return
        for item in sig:
            yield from _mtimes(item)


class _Raised:
    def __init__(self, error: Exception):
        self.error = error


class MtimeCache:
    """A small thread-safe LRU of values built from files, rebuilt when their signature moves.

    Requests for the same key wait for one build (a page fires several API calls at once
    after a change, and they should parse a file once, not once each); different keys build
    in parallel.
    """

    def __init__(self, max_entries: int = 256):
        self._entries: OrderedDict[Hashable, tuple[Signature, Any]] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: Hashable, signature: Signature, build: Callable[[], T],
            remember: tuple[type[Exception], ...] = ()) -> T:
        """The cached value for `key` if its files still have `signature`, else `build()`.

        Exceptions of the `remember` types are cached like values, so a broken output costs
        nothing to poll either until it changes.
        """
        found, value = self._lookup(key, signature)
        if found:
            return value
        with self._lock:
            key_lock = self._building.setdefault(key, threading.Lock())
        with key_lock:
            found, value = self._lookup(key, signature)  # built while we waited?
            if found:
                return value
            try:
                value = build()
            except remember as exc:
                self._store(key, signature, _Raised(exc))
                raise
            self._store(key, signature, value)
            return value

    def _lookup(self, key: Hashable, signature: Signature) -> tuple[bool, Any]:
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or hit[0] != signature:
                return False, None
            self._entries.move_to_end(key)
            value = hit[1]
        if isinstance(value, _Raised):
            raise value.error.with_traceback(None)
        return True, value

    def _store(self, key: Hashable, signature: Signature, value: Any) -> None:
        with self._lock:
            self._entries[key] = (signature, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                evicted, _ = self._entries.popitem(last=False)
                self._building.pop(evicted, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
