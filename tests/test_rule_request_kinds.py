"""``diagnose.rules.outputs._RequestKinds``: which installed Promise a committed object is a request of, the Promises
read once per node — exactly what the walk of every Promise it replaced answered, for any object YAML can make."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kratix_lab.diagnose.rules.outputs import _RequestKinds


@dataclass
class _Crd:
    kind: str
    group: str


@dataclass
class _Promise:
    name: str
    crd: _Crd | None


class _Source:
    def __init__(self, promises: list[_Promise]) -> None:
        self._promises, self.asked = promises, 0

    def promises(self) -> list[_Promise]:
        self.asked += 1
        return list(self._promises)


def _walk(promises: list[_Promise], obj: dict[str, Any]) -> str | None:  # what the rules asked before
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return next((p.name for p in promises if p.crd and (p.crd.kind, p.crd.group) == (obj.get("kind"), group)), None)


_WORDS = st.sampled_from(["Db", "Cache", "db", "", "platform.io", "other.io", "v1"])
_PROMISES = st.lists(
    st.builds(_Promise, name=st.text(max_size=3), crd=st.none() | st.builds(_Crd, kind=_WORDS, group=_WORDS)),
    max_size=6,
)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _WORDS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_WORDS, inner, max_size=2),
    max_leaves=4,
)
_API_VERSIONS = st.builds(lambda g, v: f"{g}/{v}", _WORDS, _WORDS) | _VALUES


@settings(max_examples=400, deadline=None)
@given(
    promises=_PROMISES,
    objs=st.lists(
        st.fixed_dictionaries({}, optional={"kind": _WORDS | _VALUES, "apiVersion": _API_VERSIONS}), max_size=5
    ),
)
def test_the_promise_of_an_object_is_the_first_whose_crd_it_is_a_request_of(promises, objs):
    """Kinds and apiVersions of every type (a list or a map as a kind: no Promise's), Promises without a CRD, two
    Promises with the same CRD kind and group (the first one): the answer of the walk; the Promises read once."""
    objs = objs + [{"kind": p.crd.kind, "apiVersion": f"{p.crd.group}/v1"} for p in promises if p.crd]  # each one's
    source = _Source(promises)
    requests = _RequestKinds(source)  # type: ignore[arg-type]
    for obj in objs:
        assert requests.promise_of(obj) == _walk(promises, obj)
    assert source.asked == (1 if objs else 0)


def test_the_map_is_made_again_for_other_promises():
    """The map by CRD is kept for the same Promise objects only: another list of them (one more, one less, another
    object with the same CRD and another name) is mapped anew."""
    a, b = _Promise("a", _Crd("Db", "x.io")), _Promise("b", _Crd("Db", "x.io"))
    obj = {"kind": "Db", "apiVersion": "x.io/v1"}
    for promises, want in (([a, b], "a"), ([a, b], "a"), ([b, a], "b"), ([b], "b"), ([], None), ([a], "a")):
        assert _RequestKinds(_Source(promises)).promise_of(obj) == want  # type: ignore[arg-type]
    c = _Promise("c", _Crd("Db", "x.io"))
    assert _RequestKinds(_Source([c, a])).promise_of(obj) == "c"  # type: ignore[arg-type]
