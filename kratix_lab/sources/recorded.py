"""A Source recorded from another one and replayed from memory, with nothing behind it.

``Recorder(source)`` answers like ``source`` and keeps every question and answer; ``.replay()`` gives a
``RecordedSource`` that answers the same questions from memory (a question never asked while recording
is an error, never a guess). It proves that trace, diagnose and the fleet depend on the ``Source``
protocol only (tests/test_sources.py replays a lab with no ``Lab`` behind the replay), and it lets
tests of live mode replay a cluster's answers.
"""

from __future__ import annotations

import builtins
import copy
import json
from typing import Any

from kratix_lab.errors import Unavailable
from kratix_lab.kube.registry import KindRegistry
from kratix_lab.sources import CommitInfo, Source


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
