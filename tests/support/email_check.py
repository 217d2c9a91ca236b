"""What Python's standard email parser sees in a message: one line per fact, for the tests.

    python3 email_check.py FILE

Prints `defect <name>` for every defect the parser records, `header <Name>: <decoded value>`
for each top-level header, and `part <depth> <content type> <filename or ->` for each MIME
part in tree order.
"""
import email
import sys
from email import policy


def walk(part, depth):
    name = part.get_filename() or "-"
    print(f"part {depth} {part.get_content_type()} {name}")
    for defect in part.defects:
        print(f"defect {type(defect).__name__}")
    if part.is_multipart():
        for sub in part.iter_parts() if hasattr(part, "iter_parts") else part.get_payload():
            walk(sub, depth + 1)


with open(sys.argv[1], "rb") as f:
    message = email.message_from_binary_file(f, policy=policy.default)
for name, value in message.items():
    flat = " ".join(str(value).split())
    print(f"header {name}: {flat}")
walk(message, 0)
