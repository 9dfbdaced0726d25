#!/usr/bin/env python3
"""Who spends a backend's CPU: reads `perf script` output (perf record -g of the backend) on
stdin and prints the share of samples in the extension's own code, in PostgreSQL, and in the
kernel. A sample belongs to the innermost frame that is in event_processor.so or in the server
(postgres, its modules); libc frames are attributed to their caller. Allocator and mem* frames (memcpy, memcmp, ...)
with no such caller count as the extension's: PostgreSQL allocates through palloc, whose malloc calls
are one per memory block and carry the server's frames, while Rust's allocations go straight to
malloc, and glibc keeps no frame pointers to find the caller with."""
import collections
import sys

ALLOCATOR = ("malloc", "free", "realloc", "_int_", "unlink_chunk", "cfree", "calloc",
             "malloc_consolidate", "memmove", "memcpy", "memset", "memcmp")

def owner(frames):
    leaf_symbol = frames[0][0] if frames else ""
    for symbol, dso in frames:
        if "event_processor.so" in dso:
            return "extension"
        if "/postgresql/" in dso:
            return "postgres"
    if frames and "kernel" in frames[0][1]:
        # A page fault or syscall: look for its user-space frame.
        user = [f for f in frames if "kernel" not in f[1]]
        if not user:
            return "kernel"
        leaf_symbol = user[0][0]
    if any(leaf_symbol.startswith(a) or a in leaf_symbol for a in ALLOCATOR):
        return "extension"
    return "other"

def samples(lines):
    frames, pid = [], None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if pid is not None:
                yield pid, frames
            frames, pid = [], None
        elif not line.startswith(("\t", " ")):
            pid = line.split()[1]
        else:
            parts = line.strip().split(" ", 1)
            rest = parts[1] if len(parts) > 1 else ""
            symbol, _, dso = rest.rpartition(" (")
            frames.append((symbol, dso.rstrip(")")))
    if pid is not None:
        yield pid, frames

def main():
    pid_filter = sys.argv[1] if len(sys.argv) > 1 else None
    counts = collections.Counter()
    for pid, frames in samples(sys.stdin):
        if pid_filter and pid != pid_filter:
            continue
        counts[owner(frames)] += 1
    total = sum(counts.values()) or 1
    for who in ("extension", "postgres", "kernel", "other"):
        print(f"{who}\t{counts[who]}\t{100.0 * counts[who] / total:.1f}")

if __name__ == "__main__":
    main()
