"""The Kubernetes CEL libraries that CRD rules use, registered as functions on the CEL package's context.

The ``common-expression-language`` package (cel-rust) evaluates the expression; it lets a host register
functions (``Context.add_function``; ``x.f(a)`` is ``f(x, a)``) but not new value types. So the
Kubernetes types (Quantity, IP, CIDR, URL, Format) travel through CEL as one-key maps tagged with the type
(``{"@quantity": "<exact value>"}``) holding a *canonical* value, so ``==`` between two of them compares as
upstream's ``Equal`` does (numerically for quantities, by address for IPs, by prefix for CIDRs). Every
function checks its arguments' tags and answers ``no such overload`` otherwise, as upstream's
``types.MaybeNoSuchOverloadErr`` does. The libraries are upstream's, function by function:

- kubernetes ``staging/src/k8s.io/apiserver/pkg/cel/library/quantity.go`` (quantityLibraryDecls) over
  apimachinery ``pkg/api/resource/quantity.go`` ``ParseQuantity`` (suffixes from ``suffix.go``);
- ``library/ip.go`` (ipLibraryDecls, ``parseIPAddr``: no zones, no IPv4-mapped IPv6) and ``library/cidr.go``
  (cidrLibraryDecls, ``parseCIDR``) over Go's ``net/netip``;
- ``library/urls.go`` (``isURL``/``url`` = ``url.ParseRequestURI``; getScheme/getHost/getHostname/getPort/
  getEscapedPath/getQuery) over Go's ``net/url``;
- ``library/format.go`` (``ConstantFormats``, ``format.named``, ``<Format>.validate`` → ``optional``).

- ``library/semverlib.go`` (semver/isSemver with the ``normalize`` flag, major/minor/patch, comparisons) over
  blang/semver v4 ``Parse``.

Not provided (a rule using them fails with ``Undefined variable or function``): the quantity
``mul``/``div``/``divInt`` overloads (Kubernetes 1.35), ``string(<ip|cidr>)`` (cel-rust's ``string`` cannot be
overloaded from Python; ``ip.isCanonical`` covers the common use).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from typing import Any


@functools.lru_cache(maxsize=1)
def _cel() -> Any:
    """The package's native module. ``import cel`` also imports its command-line tool (~0.2 s, which
    the first admission would pay); the extension alone loads in ~10 ms."""
    import importlib.machinery
    import importlib.util
    import logging
    from pathlib import Path

    # The package logs a library function's error (``Python function 'quantity' failed: …``) on its "cel" logger
    # as well as raising it; admission reports it as a field error, so the log line would only be noise on stderr.
    log = logging.getLogger("cel")
    log.addHandler(logging.NullHandler())
    log.propagate = False

    spec = importlib.util.find_spec("cel")
    for where in (spec.submodule_search_locations or []) if spec else []:
        for so in sorted(Path(where).glob("cel.*.so")) + sorted(Path(where).glob("cel.*.pyd")):
            loader = importlib.machinery.ExtensionFileLoader("cel.cel", str(so))
            mspec = importlib.util.spec_from_file_location("cel.cel", so, loader=loader)
            if mspec is not None:
                mod = importlib.util.module_from_spec(mspec)
                loader.exec_module(mod)
                return mod
    import cel  # pragma: no cover - layouts without a separate extension file

    return cel  # pragma: no cover


QUANTITY, IP, CIDR, URL, FORMAT, SEMVER = "@quantity", "@ip", "@cidr", "@url", "@format", "@semver"


class CelLibError(Exception):
    """An error a library function returns (upstream ``types.NewErr`` / ``types.WrapErr``)."""


class NoSuchOverload(CelLibError):
    def __init__(self) -> None:
        super().__init__("no such overload")


def _tagged(v: Any, tag: str) -> Any:
    if isinstance(v, dict) and len(v) == 1 and tag in v:
        return v[tag]
    raise NoSuchOverload()


def _string(v: Any) -> str:
    if not isinstance(v, str):
        raise NoSuchOverload()
    return v


def _int(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise NoSuchOverload()
    return v


# ---- quantity (library/quantity.go over apimachinery resource.ParseQuantity) ------------------------------

_ERR_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_ERR_SUFFIX = "unable to parse quantity's suffix"
_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)")
_INT64_MAX = 2**63 - 1
_NANO = 10**9


def parse_quantity(s: str) -> Fraction:
    """apimachinery ``ParseQuantity``: ``<signedNumber><suffix>``; precision below 1n rounds up (away from
    zero, ``inf.RoundUp``); a binary-SI value above the int64 maximum is capped to it."""
    if not s:
        raise CelLibError(_ERR_FORMAT)
    m = _NUMBER.match(s)
    assert m is not None  # the pattern matches the empty prefix
    sign, whole, frac = m.group(1), m.group(2), m.group(3)
    if not whole and not frac:
        raise CelLibError(_ERR_FORMAT)
    suffix = s[m.end() :]
    value = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    binary = False
    if suffix in _BINARY:
        value *= 2 ** _BINARY[suffix]
        binary = True
    elif suffix in _DECIMAL:
        value *= Fraction(10) ** _DECIMAL[suffix]
    elif (e := _EXPONENT.fullmatch(suffix)) is not None:
        value *= Fraction(10) ** int(e.group(1))
    elif not re.fullmatch(r"[eEinumkKMGTP]*[-+]?[0-9]*", suffix):
        raise CelLibError(_ERR_FORMAT)
    else:
        raise CelLibError(_ERR_SUFFIX)
    scaled = value * _NANO
    if scaled.denominator != 1:
        value = Fraction(-((-scaled.numerator) // scaled.denominator), _NANO)  # round up, to whole nanos
    if binary and value > _INT64_MAX:
        value = Fraction(_INT64_MAX)
    return -value if sign == "-" else value


def _q(v: Fraction) -> dict[str, str]:
    return {QUANTITY: f"{v.numerator}/{v.denominator}"}


def _qv(v: Any) -> Fraction:
    return Fraction(_tagged(v, QUANTITY))


def _quantity(s: Any) -> dict[str, str]:
    return _q(parse_quantity(_string(s)))


def _is_quantity(s: Any) -> bool:
    try:
        parse_quantity(_string(s))
    except NoSuchOverload:
        raise
    except CelLibError:
        return False
    return True


def _cmp(a: Fraction, b: Fraction) -> int:
    return (a > b) - (a < b)


def _as_integer(q: Any) -> int:
    v = _qv(q)
    if v.denominator != 1 or not -(2**63) <= v <= _INT64_MAX:
        raise CelLibError("cannot convert value to integer")
    return int(v)


def _is_integer(q: Any) -> bool:
    v = _qv(q)
    return v.denominator == 1 and -(2**63) <= v <= _INT64_MAX


def _q_operand(o: Any) -> Fraction:
    return Fraction(_int(o)) if isinstance(o, int) and not isinstance(o, bool) else _qv(o)


# ---- ip / cidr (library/ip.go, library/cidr.go over net/netip) ----------------------------------------------

_Addr = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_addr(raw: str) -> _Addr:
    """ip.go ``parseIPAddr``: netip.ParseAddr, then no zone and no IPv4-mapped IPv6."""
    try:
        addr = ipaddress.ip_address(raw)
    except ValueError:
        raise CelLibError(
            f'IP Address "{raw}" parse error during conversion from string: ParseAddr("{raw}"): unable to parse IP'
        ) from None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            raise CelLibError(f'IP address "{raw}" with zone value is not allowed')
        if addr.ipv4_mapped is not None:
            raise CelLibError(f'IPv4-mapped IPv6 address "{raw}" is not allowed')
    return addr


def _ip(v: Any) -> _Addr:
    return ipaddress.ip_address(_tagged(v, IP))


def _parse_prefix(raw: str) -> tuple[_Addr, int]:
    """cidr.go ``parseCIDR``: netip.ParsePrefix (``addr/bits``, bits in decimal), no IPv4-mapped IPv6."""
    addr_s, slash, bits_s = raw.partition("/")
    err = f"network address parse error during conversion from string: netip.ParsePrefix({_goq(raw)}): "
    if not slash:
        raise CelLibError(err + "no '/'")
    try:
        addr = ipaddress.ip_address(addr_s)
    except ValueError:
        raise CelLibError(err + f'ParseAddr("{addr_s}"): unable to parse IP') from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
        raise CelLibError(err + "IPv6 zones cannot be present in a prefix")
    if (
        not re.fullmatch(r"[0-9]{1,3}", bits_s)
        or int(bits_s) > addr.max_prefixlen
        or (len(bits_s) > 1 and bits_s[0] == "0")
    ):
        raise CelLibError(err + f"bad bits after slash: {_goq(bits_s)}")
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        raise CelLibError(f'IPv4-mapped IPv6 address "{raw}" is not allowed')
    return addr, int(bits_s)


def _goq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cidr_val(addr: _Addr, bits: int) -> dict[str, str]:
    return {CIDR: f"{addr}/{bits}"}


def _cidr(v: Any) -> tuple[_Addr, int]:
    addr, _, bits = _tagged(v, CIDR).partition("/")
    return ipaddress.ip_address(addr), int(bits)


def _network(addr: _Addr, bits: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(f"{addr}/{bits}", strict=False)


def _ip_fn(v: Any) -> dict[str, str]:
    """``ip(<string>)`` (ip.go stringToIP) or ``<CIDR>.ip()`` (cidr.go cidrToIP): both are named ``ip``."""
    if isinstance(v, str):
        return {IP: str(_parse_addr(v))}
    addr, _ = _cidr(v)
    return {IP: str(addr)}


def _is_ip(v: Any) -> bool:
    try:
        _parse_addr(_string(v))
    except NoSuchOverload:
        raise
    except CelLibError:
        return False
    return True


def _is_cidr(v: Any) -> bool:
    try:
        _parse_prefix(_string(v))
    except NoSuchOverload:
        raise
    except CelLibError:
        return False
    return True


def _is_global_unicast(a: _Addr) -> bool:
    """netip ``Addr.IsGlobalUnicast``: not unspecified, loopback, multicast, link-local, or v4 broadcast."""
    if isinstance(a, ipaddress.IPv4Address) and a == ipaddress.IPv4Address("255.255.255.255"):
        return False
    return not (a.is_unspecified or a.is_loopback or a.is_multicast or a.is_link_local)


def _is_link_local_multicast(a: _Addr) -> bool:
    """netip: 224.0.0.0/24 or ff02::/16."""
    if isinstance(a, ipaddress.IPv4Address):
        return a in ipaddress.ip_network("224.0.0.0/24")
    return a in ipaddress.ip_network("ff02::/16")


def _contains_ip(c: Any, o: Any) -> bool:
    addr, bits = _cidr(c)
    other = _parse_addr(o) if isinstance(o, str) else _ip(o)
    return other.version == addr.version and other in _network(addr, bits)


def _contains_cidr(c: Any, o: Any) -> bool:
    addr, bits = _cidr(c)
    oaddr, obits = _parse_prefix(o) if isinstance(o, str) else _cidr(o)
    return oaddr.version == addr.version and oaddr in _network(addr, bits) and bits <= obits


def _masked(c: Any) -> dict[str, str]:
    addr, bits = _cidr(c)
    return _cidr_val(_network(addr, bits).network_address, bits)


# ---- url (library/urls.go over Go's net/url) ----------------------------------------------------------------

_SCHEME_CHAR = re.compile(r"[A-Za-z0-9+.\-]")
_HOST_OK = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:\[\]%]")


class _GoURL:
    def __init__(self) -> None:
        self.scheme = self.opaque = self.host = self.path = self.raw_query = ""


def _url_error(raw: str, msg: str) -> CelLibError:
    return CelLibError(f"parse {_goq(raw)}: {msg}")


def _unescape_ok(s: str) -> bool:
    return re.search(r"%(?![0-9A-Fa-f]{2})", s) is None


def parse_request_uri(raw: str) -> _GoURL:
    """Go's ``url.ParseRequestURI`` (net/url ``parse(rawURL, viaRequest=true)``): an absolute URI or an
    absolute path; no fragment handling (``#`` stays in the path)."""
    u = _GoURL()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise _url_error(raw, "net/url: invalid control character in URL")
    if raw == "":
        raise _url_error(raw, "empty url")
    if raw == "*":
        u.path = "*"
        return u
    rest = raw
    for i, c in enumerate(raw):  # getScheme
        if c == ":":
            if i == 0:
                raise _url_error(raw, "missing protocol scheme")
            u.scheme, rest = raw[:i].lower(), raw[i + 1 :]
            break
        if not (c.isascii() and (c.isalpha() or (i > 0 and _SCHEME_CHAR.fullmatch(c)))):
            break
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest, _, u.raw_query = rest.partition("?")
    if not rest.startswith("/"):
        if u.scheme:
            u.opaque = rest
            return u
        raise _url_error(raw, "invalid URI for request")
    if u.scheme and rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        host = authority.rpartition("@")[2]
        if host.startswith("["):
            end = host.find("]")
            if end < 0:
                raise _url_error(raw, "missing ']' in host")
            port = host[end + 1 :]
            if port and not re.fullmatch(r":[0-9]*", port):
                raise _url_error(raw, f"invalid port {_goq(port)} after host")
        elif ":" in host:
            port = host[host.rfind(":") :]
            if not re.fullmatch(r":[0-9]*", port):
                raise _url_error(raw, f"invalid port {_goq(port)} after host")
        for c in host:
            if c.isascii() and not _HOST_OK.fullmatch(c):
                raise _url_error(raw, f"invalid character {_goq(c)} in host name")
        if not _unescape_ok(host):
            raise _url_error(raw, f"invalid URL escape {_goq(host[host.find('%') : host.find('%') + 3])}")
        u.host = host
    if not _unescape_ok(rest):
        bad = rest[rest.find("%") : rest.find("%") + 3]
        raise _url_error(raw, f"invalid URL escape {_goq(bad)}")
    u.path = rest
    return u


def _is_url(v: Any) -> bool:
    try:
        parse_request_uri(_string(v))
    except NoSuchOverload:
        raise
    except CelLibError:
        return False
    return True


def _url(v: Any) -> dict[str, str]:
    s = _string(v)
    try:
        parse_request_uri(s)
    except CelLibError as e:
        raise CelLibError(f"URL parse error during conversion from string: {e}") from None
    return {URL: s}


def _url_parts(v: Any) -> _GoURL:
    """urls.go parses again with ``url.Parse`` (which strips the fragment) once ParseRequestURI accepted it."""
    return parse_request_uri(_tagged(v, URL).partition("#")[0] or "/")


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.rpartition(":")[0] if ":" in host else host


def _port(host: str) -> str:
    if host.startswith("["):
        rest = host[host.find("]") + 1 :]
        return rest[1:] if rest.startswith(":") else ""
    return host.rpartition(":")[2] if ":" in host else ""


def _query(v: Any) -> dict[str, list[str]]:
    import urllib.parse

    out: dict[str, list[str]] = {}
    for k, val in urllib.parse.parse_qsl(_url_parts(v).raw_query, keep_blank_values=True):
        out.setdefault(k, []).append(val)
    return out


# ---- format (library/format.go ConstantFormats) -------------------------------------------------------------


def _format_validators() -> dict[str, Callable[[str], list[str]]]:
    from kratix_lab.schema.engine.objectmeta import (
        is_dns1035_label,
        is_dns1123_label,
        is_dns1123_subdomain,
        is_qualified_name,
        is_valid_label_value,
    )

    def _uri(s: str) -> list[str]:
        try:
            parse_request_uri(s)
        except CelLibError as e:
            return [str(e)]
        return []

    def _check(ok: Callable[[str], bool], msg: str) -> Callable[[str], list[str]]:
        return lambda s: [] if ok(s) else [msg]

    return {
        "dns1123Label": is_dns1123_label,
        "dns1123Subdomain": is_dns1123_subdomain,
        "dns1035Label": is_dns1035_label,
        "qualifiedName": is_qualified_name,
        "dns1123LabelPrefix": lambda s: is_dns1123_label(_mask_trailing_dash(s)),
        "dns1123SubdomainPrefix": lambda s: is_dns1123_subdomain(_mask_trailing_dash(s)),
        "dns1035LabelPrefix": lambda s: is_dns1035_label(_mask_trailing_dash(s)),
        "labelValue": is_valid_label_value,
        "uri": _uri,
        "uuid": _check(is_uuid, "does not match the UUID format"),
        "byte": _check(is_base64, "invalid base64"),
        "date": _check(is_date, "invalid date"),
        "datetime": _check(is_datetime, "invalid datetime"),
    }


def _mask_trailing_dash(s: str) -> str:
    """apimachinery validation ``maskTrailingDash`` (the ``prefix`` form of the name validators)."""
    return s[:-1] + "a" if len(s) > 1 and s.endswith("-") else s


_UUID = re.compile(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")


def is_uuid(s: str) -> bool:
    """strfmt ``IsUUID`` (``UUIDPattern``: hex groups, dashes optional, any version)."""
    if not _UUID.match(s):
        return False
    uuid.UUID(s.replace("-", ""))
    return True


_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$")


def is_base64(s: str) -> bool:
    """strfmt ``byte`` = govalidator ``IsBase64`` (its ``Base64`` pattern: padded, not empty)."""
    return _BASE64.match(s) is not None


def is_date(s: str) -> bool:
    """strfmt ``IsDate``: ``time.Parse("2006-01-02", s)``."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        return False
    try:
        datetime.strptime(s, "%Y-%m-%d")
    except ValueError:
        return False
    return True


_DATETIME_TIME = re.compile(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$")


def is_datetime(s: str) -> bool:
    """strfmt ``IsDateTime``: lower-cased, split at ``t``: a full date, then ``DateTimePattern`` with
    hours <= 23, minutes and seconds <= 59."""
    parts = s.lower().split("t")
    if len(parts) < 2 or not is_date(parts[0]):
        return False
    m = _DATETIME_TIME.match(parts[1])
    return m is not None and m.group(1) <= "23" and m.group(2) <= "59" and m.group(3) <= "59"


_FORMATS: dict[str, Callable[[str], list[str]]] = {}


def _named_format(name: str) -> Callable[[str], list[str]] | None:
    if not _FORMATS:
        _FORMATS.update(_format_validators())
    return _FORMATS.get(name)


def _format_validate(f: Any, s: Any) -> Any:
    fn = _named_format(_tagged(f, FORMAT))
    errors = fn(_string(s)) if fn else []
    return _cel().OptionalValue.of(list(errors)) if errors else _cel().OptionalValue.none()


def _format_named(name: Any) -> Any:
    n = _string(name)
    return _cel().OptionalValue.of({FORMAT: n}) if _named_format(n) else _cel().OptionalValue.none()


# ---- semver (library/semverlib.go over blang/semver/v4 Parse) ------------------------------------------------

_NUMBERS = re.compile(r"[0-9]*")
_ALNUM = re.compile(r"[0-9A-Za-z-]*")


def _semver_number(part: str, what: str) -> int:
    if not _NUMBERS.fullmatch(part):
        raise CelLibError(f"Invalid character(s) found in {what.lower()} number {_goq(part)}")
    if len(part) > 1 and part[0] == "0":
        raise CelLibError(f"{what} number must not contain leading zeroes {_goq(part)}")
    if not part:
        raise CelLibError('strconv.ParseUint: parsing "": invalid syntax')
    return int(part)


def parse_semver(s: str) -> tuple[int, int, int, list[str]]:
    """blang/semver v4 ``Parse`` (strict ``major.minor.patch[-pre][+build]``), with its error messages."""
    if not s:
        raise CelLibError("Version string empty")
    parts = s.split(".", 2)
    if len(parts) != 3:
        raise CelLibError("No Major.Minor.Patch elements found")
    major = _semver_number(parts[0], "Major")
    minor = _semver_number(parts[1], "Minor")
    patch_s, build, pre = parts[2], None, None
    if "+" in patch_s:
        patch_s, _, b = patch_s.partition("+")
        build = b.split(".")
    if "-" in patch_s:
        patch_s, _, p = patch_s.partition("-")
        pre = p.split(".")
    patch = _semver_number(patch_s, "Patch")
    for ident in pre or []:
        if not ident:
            raise CelLibError("Prerelease is empty")
        if _NUMBERS.fullmatch(ident):
            if len(ident) > 1 and ident[0] == "0":
                raise CelLibError(f"Numeric PreRelease version must not contain leading zeroes {_goq(ident)}")
        elif not _ALNUM.fullmatch(ident):
            raise CelLibError(f"Invalid character(s) found in prerelease {_goq(ident)}")
    for ident in build or []:
        if not ident:
            raise CelLibError("Build meta data is empty")
        if not _ALNUM.fullmatch(ident):
            raise CelLibError(f"Invalid character(s) found in build meta data {_goq(ident)}")
    return major, minor, patch, pre or []


def _normalize_semver(s: str) -> str:
    """semverlib.go ``normalizeAndParse``: no ``v`` prefix, leading zeros dropped, missing minor/patch = 0."""
    s = s.removeprefix("v")
    parts = s.split(".", 2)
    for i, p in enumerate(parts):
        if len(p) > 1:
            p = p.lstrip("0")
            if not p or not p[0].isdigit():
                p = "0" + p
            parts[i] = p
    if len(parts) < 3:
        if any(c in parts[-1] for c in "+-"):
            raise CelLibError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


def _semver(s: Any, normalize: Any = False) -> dict[str, str]:
    text = _string(s)
    if not isinstance(normalize, bool):
        raise NoSuchOverload()
    major, minor, patch, pre = parse_semver(_normalize_semver(text) if normalize else text)
    return {SEMVER: f"{major}.{minor}.{patch}" + ("-" + ".".join(pre) if pre else "")}


def _is_semver(s: Any, normalize: Any = False) -> bool:
    try:
        _semver(s, normalize)
    except NoSuchOverload:
        raise
    except CelLibError:
        return False
    return True


def _sv(v: Any) -> tuple[int, int, int, list[str]]:
    return parse_semver(_tagged(v, SEMVER))


def _semver_cmp(a: Any, b: Any) -> int:
    """blang ``Version.Compare``: major, minor, patch, then a release above its pre-releases; identifiers
    numeric < alphanumeric, numbers numerically, a shorter list first when one is a prefix of the other."""
    x, y = _sv(a), _sv(b)
    if x[:3] != y[:3]:
        return 1 if x[:3] > y[:3] else -1
    px, py = x[3], y[3]
    if not px or not py:
        return (not px) - (not py)
    for i, j in zip(px, py, strict=False):
        if i == j:
            continue
        ni, nj = i.isdigit(), j.isdigit()
        if ni and nj:
            return 1 if int(i) > int(j) else -1
        if ni != nj:
            return -1 if ni else 1
        return 1 if i > j else -1
    return (len(px) > len(py)) - (len(px) < len(py))


# ---- the registry --------------------------------------------------------------------------------------------


def _dispatch(**by_tag: Callable[..., Any]) -> Callable[..., Any]:
    """One CEL name, several upstream overloads told apart by the receiver's tag."""

    def call(recv: Any, *args: Any) -> Any:
        if isinstance(recv, dict) and len(recv) == 1:
            fn = by_tag.get(next(iter(recv)))
            if fn is not None:
                return fn(recv, *args)
        raise NoSuchOverload()

    return call


def _q_binary(op: Callable[[Fraction, Fraction], Any]) -> Callable[[Any, Any], Any]:
    return lambda a, b: op(_qv(a), _qv(b))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # quantity.go
    "quantity": _quantity,
    "isQuantity": _is_quantity,
    "sign": lambda q: _cmp(_qv(q), Fraction(0)),
    "isGreaterThan": _dispatch(
        **{QUANTITY: _q_binary(lambda a, b: a > b), SEMVER: lambda a, b: _semver_cmp(a, b) == 1}
    ),
    "isLessThan": _dispatch(**{QUANTITY: _q_binary(lambda a, b: a < b), SEMVER: lambda a, b: _semver_cmp(a, b) == -1}),
    "compareTo": _dispatch(**{QUANTITY: _q_binary(_cmp), SEMVER: _semver_cmp}),
    "asApproximateFloat": lambda q: float(_qv(q)),
    "asInteger": _as_integer,
    "isInteger": _is_integer,
    "add": _dispatch(**{QUANTITY: lambda a, b: _q(_qv(a) + _q_operand(b))}),
    "sub": _dispatch(**{QUANTITY: lambda a, b: _q(_qv(a) - _q_operand(b))}),
    # semverlib.go
    "semver": _semver,
    "isSemver": _is_semver,
    "major": lambda v: _sv(v)[0],
    "minor": lambda v: _sv(v)[1],
    "patch": lambda v: _sv(v)[2],
    # ip.go / cidr.go
    "ip": _ip_fn,
    "isIP": _is_ip,
    "ip.isCanonical": lambda s: str(_parse_addr(_string(s))) == s,
    "family": lambda v: _ip(v).version,
    "isUnspecified": lambda v: _ip(v).is_unspecified,
    "isLoopback": lambda v: _ip(v).is_loopback,
    "isLinkLocalMulticast": lambda v: _is_link_local_multicast(_ip(v)),
    "isLinkLocalUnicast": lambda v: _ip(v).is_link_local,
    "isGlobalUnicast": lambda v: _is_global_unicast(_ip(v)),
    "cidr": lambda s: _cidr_val(*_parse_prefix(_string(s))),
    "isCIDR": _is_cidr,
    "containsIP": _contains_ip,
    "containsCIDR": _contains_cidr,
    "masked": _masked,
    "prefixLength": lambda c: _cidr(c)[1],
    # urls.go
    "isURL": _is_url,
    "url": _url,
    "getScheme": lambda v: _url_parts(v).scheme,
    "getHost": lambda v: _url_parts(v).host,
    "getHostname": lambda v: _hostname(_url_parts(v).host),
    "getPort": lambda v: _port(_url_parts(v).host),
    "getEscapedPath": lambda v: _url_parts(v).path,
    "getQuery": _query,
    # format.go
    "validate": _format_validate,
    "format.named": _format_named,
    **{
        f"format.{name}": (lambda n: lambda: {FORMAT: n})(name)
        for name in (
            "dns1123Label",
            "dns1123Subdomain",
            "dns1035Label",
            "qualifiedName",
            "dns1123LabelPrefix",
            "dns1123SubdomainPrefix",
            "dns1035LabelPrefix",
            "labelValue",
            "uri",
            "uuid",
            "byte",
            "date",
            "datetime",
        )
    },
}

_LIB_ERROR = re.compile(
    r"(?:NoSuchOverload|CelLibError): (.*?)(?:\. Check function arguments and their types\.)?$", re.S
)


def library_error(message: str) -> str | None:
    """The library's own error text inside the CEL package's wrapped ``RuntimeError``, or None."""
    m = _LIB_ERROR.search(message)
    return m.group(1) if m else None
