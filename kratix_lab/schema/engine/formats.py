"""OpenAPI ``format`` on strings, where the API server checks it for a custom resource.

Upstream: apiextensions-apiserver ``pkg/apiserver/validation/formats.go`` ``supportedVersionedFormats`` and
``StripUnsupportedFormatsPostProcessorForVersion``: a string schema's format (dashes removed, go-openapi's
name normalisation) is validated only when it is in the supported set; any other format, and a format on a
non-string schema, is ignored (``int32``/``int64``/``float``/``double`` are kept but go-openapi's format
validator applies to strings only). The checkers are kube-openapi ``pkg/validation/strfmt`` (default.go,
duration.go, date/time, quantity.go) and the govalidator functions default.go registers. The error is
go-openapi's ``errors.InvalidType``: ``<path> in body must be of type <format>: "<value>"``.

Not checked (accepted, a documented divergence): ``email`` (Go's ``net/mail.ParseAddress``), ``isbn``,
``isbn10``, ``isbn13`` and ``creditcard`` (govalidator checksums), and the 1.34 ``k8s-short-name`` /
``k8s-long-name`` (the lab models an API server before 1.34).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable

from kratix_lab.schema.engine.cel_k8s import (
    CelLibError,
    is_base64,
    is_date,
    is_datetime,
    is_uuid,
    parse_quantity,
    parse_request_uri,
)

_HOSTNAME = re.compile(
    r"^([a-zA-Z0-9]((-?[a-zA-Z0-9]{0,62})?)|([a-zA-Z0-9](([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.)){1,}"
    r"([a-zA-Z0-9])(-?[a-zA-Z0-9]){1,62})$"
)


def is_hostname(s: str) -> bool:
    """strfmt ``IsHostname``: ``HostnamePattern`` (letters and symbols, ``\\p{L}\\p{S}``, count as letters),
    at most 255 bytes, labels of at most 63 bytes."""
    ascii_form = "".join("a" if unicodedata.category(c)[0] in "LS" else c for c in s)
    if not _HOSTNAME.match(ascii_form) or len(s.encode()) > 255:
        return False
    return all(len(p.encode()) <= 63 for p in s.split("."))


def _go_parse_ip(s: str) -> bool:
    """Go's ``net.ParseIP``: dotted IPv4 (no leading zeros) or IPv6, no zone."""
    if "%" in s:
        return False
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def _is_cidr(s: str) -> bool:
    """govalidator ``IsCIDR`` = Go's ``net.ParseCIDR`` (``addr/bits``, bits in decimal within the family)."""
    addr, slash, bits = s.partition("/")
    if not slash or not _go_parse_ip(addr) or not re.fullmatch(r"[0-9]+", bits):
        return False
    return int(bits) <= ipaddress.ip_address(addr).max_prefixlen


_HEX2 = "[0-9a-fA-F]{2}"
_HEX4 = "[0-9a-fA-F]{4}"
_MAC = re.compile(
    "|".join(
        [f"{_HEX2}(?:{sep}{_HEX2}){{{n - 1}}}" for sep in (":", "-") for n in (6, 8, 20)]
        + [rf"{_HEX4}(?:\.{_HEX4}){{{n // 2 - 1}}}" for n in (6, 8, 20)]
    )
)


def is_mac(s: str) -> bool:
    """govalidator ``IsMAC`` = Go's ``net.ParseMAC``: 6, 8 or 20 bytes as hex pairs split by ``:`` or ``-``,
    or hex quads split by ``.``."""
    return _MAC.fullmatch(s) is not None


_DURATION_UNITS = [
    ("ns", "nano"),
    ("us", "µs", "micro"),
    ("ms", "milli"),
    ("s", "sec"),
    ("m", "min"),
    ("h", "hr", "hour"),
    ("d", "day"),
    ("w", "wk", "week"),
]
_GO_DURATION = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+|[-+]?0")
_DURATION_VALIDATOR = re.compile(r"^\s*(?:\d+\s*[A-Za-zµ]+\s*)+$")
_DURATION_MATCHER = re.compile(r"((\d+)\s*([A-Za-zµ]+))")


def is_duration(s: str) -> bool:
    """strfmt ``ParseDuration``: Go's ``time.ParseDuration``, else the Scala-style ``<n> <unit>`` list, where
    at least one unit must be known (the last variant of a unit also matches as a prefix: ``hours``)."""
    if _GO_DURATION.fullmatch(s):
        return True
    if not _DURATION_VALIDATOR.match(s):
        return False
    for m in _DURATION_MATCHER.finditer(s):
        unit = m.group(3).strip().lower()
        for variants in _DURATION_UNITS:
            last = len(variants) - 1
            if any((i == last and unit.startswith(v)) or v.lower() == unit for i, v in enumerate(variants)):
                return True
    return False


def _is_uri(s: str) -> bool:
    try:
        parse_request_uri(s)
    except CelLibError:
        return False
    return True


def _is_quantity(s: str) -> bool:
    try:
        parse_quantity(s)
    except CelLibError:
        return False
    return True


_RGB_PART = r"\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*"

# The supported set at 1.0 (formats.go), keyed by the normalised name (dashes removed).
STRING_FORMATS: dict[str, Callable[[str], bool]] = {
    "bsonobjectid": lambda s: re.fullmatch(r"[0-9a-fA-F]{24}", s) is not None,
    "uri": _is_uri,
    "hostname": is_hostname,
    "ipv4": lambda s: _go_parse_ip(s) and "." in s,
    "ipv6": lambda s: _go_parse_ip(s) and ":" in s,
    "cidr": _is_cidr,
    "mac": is_mac,
    "uuid": is_uuid,
    "uuid3": lambda s: (
        re.match(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$", s) is not None
    ),
    "uuid4": lambda s: (
        re.match(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", s) is not None
    ),
    "uuid5": lambda s: (
        re.match(r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$", s) is not None
    ),
    "ssn": lambda s: len(s) == 11 and re.fullmatch(r"\d{3}[- ]?\d{2}[- ]?\d{4}", s) is not None,
    "hexcolor": lambda s: re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", s) is not None,
    "rgbcolor": lambda s: re.fullmatch(rf"rgb\({_RGB_PART},{_RGB_PART},{_RGB_PART}\)", s) is not None,
    "byte": is_base64,
    "password": lambda s: True,
    "date": is_date,
    "duration": is_duration,
    "datetime": is_datetime,
    "quantity": _is_quantity,
}


def format_error(value: str, fmt: str) -> bool:
    """True when the API server refuses ``value`` for the string format ``fmt`` (unknown formats pass)."""
    check = STRING_FORMATS.get(fmt.replace("-", ""))
    return check is not None and not check(value)
