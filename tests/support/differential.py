"""What Python's standard email parser shows of many messages, under both its policies.

    python3 differential.py BATCH [--builder]

BATCH holds messages, each as a 4-byte big-endian length and the bytes. For each message one
JSON line is printed: {"compat32": VIEW, "default": VIEW}. A VIEW is what a mail client built
on this parser would show and act on:

- "root": the top-level content type; "boundary": its boundary (or null);
- "parts": for a multipart, the tree of each top-level part: [content type, file name,
  sha256 of the decoded body (first 16 hex digits) or the list of sub-trees];
- "headers": for each header of HEADERS, the list of its values, decoded as a client of
  this policy decodes them (compat32: `decode_header`; default: the header object's text);
- "addresses": for each address header, its mailboxes as [display name, addr-spec]
  (compat32: `getaddresses`; default: the header's `addresses`);
- "time": the `Date` as a POSIX time (or null when it does not parse);
- "error": set when the parser raised (the rest may then be missing).

With --builder (the builder property test), each view also has "message-id": the
Message-ID values as written, and compat32 display names are decoded as its clients decode
them (`decode_header`); these are the intent a builder must meet, not something a mutant
may change unnoticed.

The tests (tests/differential.rs) compare these views between a message and its mutants, and
with the bytes our reader verified.
"""
import email
import email.header
import email.utils
import hashlib
import json
import struct
import sys
from email import policy

# Not in the view: a receipt's own Message-ID (nothing certifies it; an envelope's is
# compared with identificativo by the reader), and X-TipoRicevuta (its effect, the receipt
# type asked for, is: absent means "completa", spec 3.6).
HEADERS = [
    "subject", "from", "sender", "reply-to", "to", "cc",
    "x-ricevuta", "x-trasporto", "x-riferimento-message-id",
]
ADDRESS_HEADERS = ["from", "sender", "reply-to", "to", "cc"]


def tree(part):
    try:
        name = part.get_filename()
    except Exception as e:  # a malformed parameter
        name = "!" + type(e).__name__
    ctype = part.get_content_type()
    if part.is_multipart():
        return [ctype, name, [tree(p) for p in part.get_payload()]]
    payload = part.get_payload(decode=True) or b""
    return [ctype, name, hashlib.sha256(payload).hexdigest()[:16]]


def flat(value):
    return str(value).replace("\r", "").replace("\n", "").strip()


def text(value, pol):
    if pol is policy.compat32:
        try:
            return flat(email.header.make_header(email.header.decode_header(value)))
        except Exception as e:
            return "!" + type(e).__name__
    return flat(value)


def mailboxes(values, pol):
    found = []
    for v in values:
        try:
            if pol is policy.compat32:
                # compat32 leaves folding in a value; its clients unfold (RFC 5322 2.2.3).
                unfolded = str(v).replace("\r\n", "").replace("\n", "")
                found.extend(
                    [text(n, pol) if BUILDER else n, a]
                    for n, a in email.utils.getaddresses([unfolded])
                )
            else:
                found.extend([a.display_name, a.addr_spec] for a in v.addresses)
        except Exception as e:
            found.append(["!" + type(e).__name__, ""])
    return found


def posix(value):
    try:
        return email.utils.parsedate_to_datetime(str(value)).timestamp()
    except Exception:
        return None


def view(raw, pol):
    out = {}
    try:
        m = email.message_from_bytes(raw, policy=pol)
        out["root"] = m.get_content_type()
        out["boundary"] = m.get_boundary()
        out["headers"] = {h: [text(v, pol) for v in (m.get_all(h) or [])] for h in HEADERS}
        out["addresses"] = {h: mailboxes(m.get_all(h) or [], pol) for h in ADDRESS_HEADERS}
        out["time"] = [posix(v) for v in (m.get_all("date") or [])]
        receipt = m.get_all("x-tiporicevuta") or ["completa"]
        out["receipt"] = [flat(v).lower() for v in receipt]
        out["parts"] = [tree(p) for p in m.get_payload()] if m.is_multipart() else None
        if BUILDER:
            out["message-id"] = [flat(v) for v in (m.get_all("message-id") or [])]
    except Exception as e:
        out["error"] = type(e).__name__
    return out


BUILDER = "--builder" in sys.argv[2:]


def main():
    data = open(sys.argv[1], "rb").read()
    at = 0
    while at < len(data):
        (n,) = struct.unpack(">I", data[at : at + 4])
        raw = data[at + 4 : at + 4 + n]
        at += 4 + n
        line = {"compat32": view(raw, policy.compat32), "default": view(raw, policy.default)}
        print(json.dumps(line, sort_keys=True))


main()
