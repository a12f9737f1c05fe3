"""Object references with kubectl's rules: ``KIND NAME [NAME…]`` or ``KIND/NAME [KIND/NAME…]``.

The rules are cli-runtime's (``k8s.io/cli-runtime/pkg/resource/builder.go``):
``normalizeMultipleResourcesArgs`` (``TYPE1,TYPE2 NAME`` → every type with every name),
``hasCombinedTypeArgs`` (either every argument has a slash or none; a mix is refused with the
message below) and ``splitResourceTypeName`` (one slash, a non-empty single type and name). The
namespace is ``-n``'s when given, else the context's default; ``-A`` lists every namespace and is
refused with names (``kubectl get -A pod x`` → "a resource cannot be retrieved by name across all
namespaces", ``kubectl/pkg/cmd/get/get.go``).

``ObjectRef.kind`` is the type as typed (``vco``, ``pods``); resolve it with ``KindRegistry.resolve``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kratix_lab.errors import UsageError

MIXED_FORMS = (
    "there is no need to specify a resource type as a separate argument when passing arguments in "
    "resource/name form (e.g. 'kratix-lab get resource/<resource_name>' instead of "
    "'kratix-lab get resource resource/<resource_name>'"
)
MORE_THAN_ONE_SLASH = "arguments in resource/name form may not have more than one slash"
SINGLE_RESOURCE_AND_NAME = "arguments in resource/name form must have a single resource and name"
ALL_NAMESPACES_WITH_NAME = "a resource cannot be retrieved by name across all namespaces"


class RefError(UsageError, ValueError):
    """A reference kubectl would refuse; the message is kubectl's."""


@dataclass(frozen=True)
class ObjectRef:
    """One named object: its type as typed, its name, and its namespace when one was given."""

    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        """``kind/name``: the one form kratix-lab prints (the namespace goes to ``-n``)."""
        return f"{self.kind}/{self.name}"

    @classmethod
    def parse(cls, text: str, namespace: str | None = None, *, namespace_form: bool = False) -> ObjectRef:
        """One ``KIND/NAME`` argument (``KIND/NAMESPACE/NAME`` too with ``namespace_form``, a lab extension
        kept for ``trace``/``diagnose``; kubectl itself refuses a second slash)."""
        if "/" not in text:
            raise RefError(f"{text!r}: expected KIND/NAME")
        seg = text.split("/")
        if len(seg) == 3 and namespace_form and all(seg):
            return cls(seg[0], seg[2], seg[1])
        if len(seg) != 2:
            raise RefError(MORE_THAN_ONE_SLASH)
        kind, name = seg
        if not kind or not name or "," in kind:
            raise RefError(f"{text!r}: {SINGLE_RESOURCE_AND_NAME} (expected KIND/NAME)")
        return cls(kind, name, namespace)

    @classmethod
    def parse_args(
        cls,
        args: Sequence[str],
        namespace: str | None = None,
        *,
        all_namespaces: bool = False,
        require_name: bool = True,
        namespace_form: bool = False,
    ) -> list[ObjectRef]:
        """The object arguments of a command (everything after the verb), as kubectl reads them.

        Returns one ref per named object. With ``require_name=False`` a lone ``KIND`` (a list) gives
        one ref with an empty name. Raises ``RefError`` with kubectl's message for a mix of forms,
        more than one slash, an empty part, no argument, or names together with ``-A``.
        """
        args = [a for a in args if a != ""]
        if not args:
            raise RefError("you must specify the type of resource to get")
        if len(args) >= 2 and "," in args[0] and "/" not in args[0]:
            types = list(dict.fromkeys(args[0].split(",")))
            args = [f"{t}/{n}" for t in types for n in args[1:]]
        slashed = sum("/" in a for a in args)
        if slashed and slashed != len(args):
            raise RefError(MIXED_FORMS)
        if slashed:
            refs = [cls.parse(a, namespace, namespace_form=namespace_form) for a in args]
        else:
            kind, names = args[0], args[1:]
            if not names:
                if require_name:
                    raise RefError(f"{kind!r}: expected KIND/NAME or KIND NAME (a name is required)")
                return [cls(kind, "", namespace)]
            if "," in kind:
                raise RefError(SINGLE_RESOURCE_AND_NAME)
            refs = [cls(kind, n, namespace) for n in names]
        if all_namespaces and any(r.name for r in refs):
            raise RefError(ALL_NAMESPACES_WITH_NAME)
        return refs

    @classmethod
    def parse_one(cls, args: Sequence[str], namespace: str | None = None, *, namespace_form: bool = False) -> ObjectRef:
        """Exactly one object (``trace``, ``diagnose``): ``KIND NAME`` or ``KIND/NAME``."""
        refs = cls.parse_args(args, namespace, namespace_form=namespace_form)
        if len(refs) != 1:
            raise RefError(f"expected one object, got {len(refs)}: {' '.join(map(str, refs))}")
        return refs[0]


__all__ = [
    "ALL_NAMESPACES_WITH_NAME",
    "MIXED_FORMS",
    "MORE_THAN_ONE_SLASH",
    "SINGLE_RESOURCE_AND_NAME",
    "ObjectRef",
    "RefError",
]
