"""Only public mail servers: a company's SMTP setting must not reach the installation's network.

``resolve_public`` resolves the host once and refuses loopback, private, link-local (cloud
metadata lives at 169.254.169.254), shared, reserved and multicast addresses; the caller then
connects to the returned address itself, so a second DNS answer (rebinding) cannot redirect it.
``SMTP_ALLOW_PRIVATE_HOSTS=1`` lifts the rule for installations whose mail server is on their
own network (and for the tests, whose SMTP server listens on loopback).
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from flask import current_app

from saas.mail.errors import DeliveryError

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a globally routable unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def private_hosts_allowed() -> bool:
    return bool(current_app.config.get("SMTP_ALLOW_PRIVATE_HOSTS"))


def resolve_public(host: str, port: int, *, allow_private: bool | None = None) -> str:
    """The address to connect to for ``host``: refused unless every address it names is public.

    Raises ``DeliveryError("unknown_host")`` when the name does not resolve and
    ``DeliveryError("blocked_address")`` for a non-public address (unless allowed).
    """
    if allow_private is None:
        allow_private = private_hosts_allowed()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        log.info("SMTP host %r does not resolve: %s", host, exc)
        transient = getattr(exc, "errno", None) == socket.EAI_AGAIN
        raise DeliveryError("unknown_host", str(exc), retry=transient) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise DeliveryError("unknown_host", retry=False)
    if not allow_private:
        blocked = [str(ip) for ip in addresses if not is_public(ip)]
        if blocked:
            log.warning("SMTP host %r refused: non-public address %s", host, ", ".join(blocked))
            raise DeliveryError("blocked_address", ", ".join(blocked), retry=False)
    return str(addresses[0])
