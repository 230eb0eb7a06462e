"""Which inbox an address reaches: what the confirmation-mail limits count by.

`victim+1@example.org`, `victim+2@example.org` and `V.I.C.T.I.M@googlemail.com` are one inbox
each; limits keyed by the exact address let one person send it a mail per variant. Rules, as
the providers document them: a `+tag` is delivered to the untagged address by Gmail, Outlook,
iCloud, Fastmail, Proton and most hosted domains (so it is stripped everywhere: an address
whose provider does not honour tags is at worst limited with its tagged siblings); Gmail also
ignores dots in the local part and `googlemail.com` is `gmail.com`.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Providers that ignore dots in the local part.
DOTLESS_DOMAINS = {"gmail.com"}


def normalise(address: str) -> str:
    """The inbox `address` reaches: lower-case, no +tag, the provider's own dot rule."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return address.strip().lower()
    domain = domain.rstrip(".")
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.partition("+")[0] or local
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def mailbox_key(address: str) -> str:
    """A keyed hash of the inbox: stored, counted by and put in links instead of the address."""
    digest = hmac.new(settings.SECRET_KEY.encode(), normalise(address).encode(), hashlib.sha256)
    return digest.hexdigest()
