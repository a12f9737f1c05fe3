"""A Source (and a Platform's Actions) recorded from another one and replayed from memory, with nothing behind it.

``Recorder(source)`` answers like ``source`` and keeps every question and answer; ``.replay()`` gives a
``RecordedSource`` that answers the same questions from memory (a question never asked while recording
is an error, never a guess). It proves that trace, diagnose, the fleet and the create form's validation
depend on the ``Source`` and ``Actions`` protocols only (tests/test_sources.py replays a lab with no ``Lab``
behind the replay), and it lets tests of live mode replay a cluster's answers.

``ActionsRecorder(actions)`` does the same for the reads of ``Actions`` (``admit``, ``gitops_path``,
``gitops_file``, ``delete_route``, ``where``: what the create form's validation and a delete's confirmation ask); it changes nothing: every write is refused (``Forbidden``), while
recording and in the replay. ``record(platform)`` wraps both; ``replay(recorded)`` is the ``Platform`` answering
from memory.
"""

from __future__ import annotations

import builtins
import copy
import json
from typing import TYPE_CHECKING, Any, NoReturn

from kratix_lab.errors import Forbidden, KratixLabError, Unavailable
from kratix_lab.kube.registry import KindRegistry
from kratix_lab.sources import Actions, CommitInfo, Platform, Source

if TYPE_CHECKING:
    from kratix_lab.schema import CRD


class NotRecorded(Unavailable):
    """The replayed source was asked a question the recording never saw."""


def _key(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return json.dumps([method, list(args), kwargs], sort_keys=True, default=repr)


class Recorder:
    """A Source that forwards to ``inner`` and records every answer (deep copies)."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.name = inner.name
        self.read_only = inner.read_only
        self.mode = getattr(inner, "mode", "lab")
        self.answers: dict[str, Any] = {}

    def _ask(self, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.inner, method)(*args, **kwargs)
        self.answers[_key(method, args, kwargs)] = copy.deepcopy(result)
        return result

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        return self._ask("get", kind, name, namespace, group)  # type: ignore[no-any-return]

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        return self._ask("list", kind, namespace, labels, group)  # type: ignore[no-any-return]

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return self._ask("events", obj)  # type: ignore[no-any-return]

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        return self._ask("logs", pod, tail, container)  # type: ignore[no-any-return]

    def now(self) -> int:
        return self._ask("now")  # type: ignore[no-any-return]

    def timestamp(self, text: str | None) -> int | None:
        return self._ask("timestamp", text)  # type: ignore[no-any-return]

    def promises(self) -> builtins.list[Any]:
        return self._ask("promises")  # type: ignore[no-any-return]

    def kinds(self) -> KindRegistry:
        return self._ask("kinds")  # type: ignore[no-any-return]

    def change_token(self) -> Any:
        return self._ask("change_token")

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        return self._ask("state_files", path, rev)  # type: ignore[no-any-return]

    def state_head(self) -> str | None:
        return self._ask("state_head")  # type: ignore[no-any-return]

    def state_commit(self, sha: str) -> CommitInfo | None:
        return self._ask("state_commit", sha)  # type: ignore[no-any-return]

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self._ask("is_ancestor", ancestor, descendant)  # type: ignore[no-any-return]

    def replay(self) -> RecordedSource:
        return RecordedSource(dict(self.answers), name=f"recording of {self.name}", read_only=True, mode=self.mode)


class RecordedSource:
    """Answers from a recording only (see ``Recorder``); raises ``NotRecorded`` for anything else."""

    def __init__(
        self, answers: dict[str, Any], name: str = "recording", read_only: bool = True, mode: str = "lab"
    ) -> None:
        self.answers = answers
        self.name = name
        self.read_only = read_only
        self.mode = mode

    def _answer(self, method: str, *args: Any, **kwargs: Any) -> Any:
        key = _key(method, args, kwargs)
        if key not in self.answers:
            raise NotRecorded(f"{self.name}: {method}{args!r} was not asked while recording")
        return copy.deepcopy(self.answers[key])

    def get(
        self, kind: str, name: str, namespace: str | None = None, group: str | None = None
    ) -> dict[str, Any] | None:
        return self._answer("get", kind, name, namespace, group)  # type: ignore[no-any-return]

    def list(
        self, kind: str, namespace: str | None = None, labels: dict[str, str] | None = None, group: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        return self._answer("list", kind, namespace, labels, group)  # type: ignore[no-any-return]

    def events(self, obj: dict[str, Any]) -> builtins.list[dict[str, Any]]:
        return self._answer("events", obj)  # type: ignore[no-any-return]

    def logs(self, pod: dict[str, Any], tail: int | None = None, container: str | None = None) -> str:
        return self._answer("logs", pod, tail, container)  # type: ignore[no-any-return]

    def now(self) -> int:
        return self._answer("now")  # type: ignore[no-any-return]

    def timestamp(self, text: str | None) -> int | None:
        return self._answer("timestamp", text)  # type: ignore[no-any-return]

    def promises(self) -> builtins.list[Any]:
        return self._answer("promises")  # type: ignore[no-any-return]

    def kinds(self) -> KindRegistry:
        return self._answer("kinds")  # type: ignore[no-any-return]

    def change_token(self) -> Any:
        return self._answer("change_token")

    def state_files(self, path: str, rev: str | None = None) -> dict[str, bytes]:
        return self._answer("state_files", path, rev)  # type: ignore[no-any-return]

    def state_head(self) -> str | None:
        return self._answer("state_head")  # type: ignore[no-any-return]

    def state_commit(self, sha: str) -> CommitInfo | None:
        return self._answer("state_commit", sha)  # type: ignore[no-any-return]

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self._answer("is_ancestor", ancestor, descendant)  # type: ignore[no-any-return]


class _RefusesWrites:
    """The writes of ``Actions``, each refused (``Forbidden``): a recording or a replay changes nothing."""

    read_only = True
    clock = None
    _who = "a recording"

    def _refuse(self, what: str) -> NoReturn:
        raise Forbidden(f"read-only: {self._who} changes nothing ({what} refused)")

    def submit(self, request: dict[str, Any]) -> str | None:
        self._refuse("submit")

    def submit_text(self, text: str, message: str) -> str | None:
        self._refuse("submit")

    def reconcile(self, kind: str, name: str, namespace: str | None) -> str:
        self._refuse("reconcile")

    def delete(self, kind: str, name: str, namespace: str | None) -> str:
        self._refuse("delete")


class ActionsRecorder(_RefusesWrites):
    """``Actions`` that forward the reads validation asks to ``inner`` and record them; writes are refused.

    ``admit`` is recorded with its outcome: nothing, or the ``KratixLabError`` it raised (re-raised in the
    replay with the same class and message)."""

    def __init__(self, inner: Actions) -> None:
        self.inner = inner
        self.where = inner.where
        self.answers: dict[str, Any] = {}

    def admit(self, obj: dict[str, Any]) -> None:
        key = _key("admit", (obj,), {})
        try:
            self.inner.admit(copy.deepcopy(obj))
        except KratixLabError as e:
            self.answers[key] = e
            raise
        self.answers[key] = None

    def gitops_path(self, kind: str, name: str, crd: CRD) -> str:
        path = self.inner.gitops_path(kind, name, crd)
        self.answers[_key("gitops_path", (kind, name, crd.name), {})] = path
        return path

    def gitops_file(self, path: str, kind: str | None = None) -> bytes | None:
        data = self.inner.gitops_file(path, kind)
        self.answers[_key("gitops_file", (path, kind), {})] = data
        return data

    def delete_route(self, kind: str, name: str, namespace: str | None) -> str:
        route = self.inner.delete_route(kind, name, namespace)
        self.answers[_key("delete_route", (kind, name, namespace), {})] = route
        return route

    def close(self) -> None:
        self.inner.close()

    def replay(self) -> RecordedActions:
        return RecordedActions(dict(self.answers), where=self.where)


class RecordedActions(_RefusesWrites):
    """``Actions`` answering validation's reads from a recording (``ActionsRecorder``); every write is refused
    and a read never recorded raises ``NotRecorded``."""

    _who = "a replay"

    def __init__(self, answers: dict[str, Any], where: str = "a recording") -> None:
        self.answers = answers
        self.where = where

    def _answer(self, method: str, *args: Any) -> Any:
        key = _key(method, args, {})
        if key not in self.answers:
            raise NotRecorded(f"recording of {self.where}: {method}{args!r} was not asked while recording")
        return self.answers[key]

    def admit(self, obj: dict[str, Any]) -> None:
        refused = self._answer("admit", obj)
        if refused is not None:
            raise copy.copy(refused).with_traceback(None)

    def gitops_path(self, kind: str, name: str, crd: CRD) -> str:
        return self._answer("gitops_path", kind, name, crd.name)  # type: ignore[no-any-return]

    def gitops_file(self, path: str, kind: str | None = None) -> bytes | None:
        return self._answer("gitops_file", path, kind)  # type: ignore[no-any-return]

    def delete_route(self, kind: str, name: str, namespace: str | None) -> str:
        return self._answer("delete_route", kind, name, namespace)  # type: ignore[no-any-return]

    def close(self) -> None:
        pass


def record(platform: Platform) -> Platform:
    """``platform`` with its source and actions recorded (``replay`` of the result answers from memory)."""
    return Platform(Recorder(platform.source), ActionsRecorder(platform.actions))


def replay(recorded: Platform) -> Platform:
    """The ``Platform`` a ``record(...)`` recorded, answering from memory with nothing behind it."""
    source, actions = recorded
    if not isinstance(source, Recorder) or not isinstance(actions, ActionsRecorder):
        raise TypeError("replay() takes the Platform that record() returned")
    return Platform(source.replay(), actions.replay())
