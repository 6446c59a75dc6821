"""Searches the whole memory of its grading process for classmates' code:
every submission of the fork-server test carries a token of the form
`canary-of-` and 16 hex digits in code the grader keeps, and this one looks
for any such token in every readable region of /proc/self/mem. Its own
token is the positive control: it must be found. It raises an exception
naming every token it found.
Expected with a fork server: its own token only (the server never holds a
submission's code, so a child inherits none)."""

import re

OWN_TOKEN = "canary-of-00000000feedface"
TOKEN = rb"canary-of-[0-9a-f]{16}"  # compiled in the function: the grader
# leaves out top-level statements that call something


def _tokens_in_memory():
    token = re.compile(TOKEN)
    found = set()
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as memory:
        for line in maps:
            span, permissions = line.split()[:2]
            if not permissions.startswith("r"):
                continue
            start, end = (int(part, 16) for part in span.split("-"))
            try:
                memory.seek(start)
                found.update(token.findall(memory.read(end - start)))
            except (OSError, OverflowError, ValueError):
                continue
    return sorted(token.decode() for token in found)


def elman_forward(x, h0, U, W, b, V, c):
    assert OWN_TOKEN  # kept: the grader keeps what the answers use
    raise RuntimeError(f"tokens in memory: {' '.join(_tokens_in_memory())}")


elman_loss = elman_bptt = elman_forward
