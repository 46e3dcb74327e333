"""Checks a `chunksim export --format perfetto` file: valid JSON in the Chrome
trace-event format, the tracks and counters chunksim writes, and slices that
nest on every thread (the Perfetto UI draws partly overlapping slices of one
thread wrongly). Usage: check_perfetto.py TRACE.json"""
import collections
import json
import sys


def main(path):
    with open(path, encoding="utf-8") as f:
        root = json.load(f)
    assert root["displayTimeUnit"] == "ms", "displayTimeUnit"
    events = root["traceEvents"]
    assert isinstance(events, list) and events, "traceEvents is an empty or missing list"
    kinds = collections.Counter()
    threads = set()
    slices = collections.defaultdict(list)
    for e in events:
        ph = e["ph"]
        assert ph in ("X", "C", "M", "i"), f"unexpected ph {ph!r}"
        assert isinstance(e["pid"], int) and isinstance(e["name"], str)
        if ph == "X":
            assert isinstance(e["ts"], int) and isinstance(e["dur"], int) and e["dur"] >= 0
            slices[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
            kinds["X:" + e["cat"]] += 1
        elif ph == "C":
            assert all(isinstance(v, (int, float)) for v in e["args"].values())
            kinds["C:" + e["name"]] += 1
        elif ph == "M":
            if e["name"] == "thread_name":
                threads.add(e["args"]["name"])
        else:
            assert e["s"] in ("t", "p", "g")
    for want in ("X:flash", "X:core", "X:chunk", "X:link", "C:flash busy", "C:window fill"):
        assert kinds[want] > 0, f"no {want} events"
    for want in ("flash", "waits", "chunks", "link", "violations"):
        assert want in threads, f"no thread named {want}"
    for tid, spans in slices.items():
        spans.sort()
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            assert not (b0 < a1 < b1), f"tid {tid}: [{a0},{a1}) and [{b0},{b1}) overlap partly"
    print(f"perfetto trace ok: {len(events)} events, " +
          ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main(sys.argv[1])
