"""The address a request really came from, for the sign-in lockout.

Behind a reverse proxy every request arrives from the proxy's address, so a lockout keyed on
REMOTE_ADDR would let anyone lock any account for everyone. The proxies are therefore named
explicitly (``KAOHE_TRUSTED_PROXIES``): only when the connection comes from one of them is
``X-Forwarded-For`` read, and then from the right, skipping the trusted hops, so the address is
the last one a trusted proxy saw. A client that writes its own ``X-Forwarded-For`` directly, or
puts addresses in front of the real one, cannot choose the address it is counted under.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: list[str]) -> list[Network]:
    """Parse the trusted proxies (addresses or CIDR networks); raise ValueError naming a bad one."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"KAOHE_TRUSTED_PROXIES: {entry!r} is not an address or network"
            ) from exc
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(meta: dict[str, Any], trusted: list[Network]) -> str:
    """The client's address given the request's META and the trusted proxy networks."""
    peer = str(meta.get("REMOTE_ADDR", ""))
    peer_ip = _address(peer)
    if peer_ip is None or not any(peer_ip in net for net in trusted):
        return peer
    hops = [h for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    for hop in reversed(hops):
        ip = _address(hop)
        if ip is None:
            return peer  # a malformed hop: count the request under the proxy itself
        if not any(ip in net for net in trusted):
            return str(ip)
    return peer


def client_ip(request: Any) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_address(request.META, settings.KAOHE_TRUSTED_PROXY_NETWORKS)
