"""Scores replayed findings against the corpus labels and prints the tables.

A case counts as flagged by a detector when either pass raised a finding of it: a live finding has
already alerted (group, webhook) by the time the final pass replaces it. Labelled files get a
confusion table per detector; trajectories (working runs) get the share flagged per source and per
detector, with each flagged run listed so a human can judge it. A `tool_failure` finding on a run
whose tool calls really failed (status `failed` in the corpus) is a real tool error: it is counted
apart and not held against the detector.
"""

import collections
import json
import re

_GERMAN = frozenset(
    "und der das ist nicht ich du sie ein eine einen zu mit auf für von den dem des wie was bitte "
    "auch sind oder aber wir mir mich dich dir im es noch nach bei aus wenn dann alle alles jetzt "
    "vergiss ignoriere deine ihre sein kann soll werden wird über".split())
_ENGLISH = frozenset(
    "the and is to of you that it for what are on with this be how your can please all".split())
_WORD = re.compile(r"[a-zäöüß]+")


def is_german(text):
    """A stop-word count: at least two German stop words and more German than English ones."""
    words = _WORD.findall(text.lower())
    german = sum(w in _GERMAN for w in words)
    english = sum(w in _ENGLISH for w in words)
    return german >= 2 and german > english


class Confusion:
    def __init__(self):
        self.tp = self.fn = self.fp = self.tn = 0

    def add(self, attack, flagged):
        if attack:
            self.tp += flagged
            self.fn += not flagged
        else:
            self.fp += flagged
            self.tn += not flagged

    @staticmethod
    def _ratio(a, b):
        return a / b if b else None

    def precision(self):
        return self._ratio(self.tp, self.tp + self.fp)

    def recall(self):
        return self._ratio(self.tp, self.tp + self.fn)

    def fpr(self):
        return self._ratio(self.fp, self.fp + self.tn)

    def as_dict(self):
        return {"tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn,
                "precision": self.precision(), "recall": self.recall(), "fpr": self.fpr()}


def _fmt(value):
    return "    -" if value is None else "%5.3f" % value


def _flags(result):
    """detector -> ["signature (passes): detail", ...], a signature raised by both passes once."""
    passes = collections.OrderedDict()
    for f in result["findings"]:
        key = (f["detector"], f["signature"], f.get("detail", ""))
        passes.setdefault(key, [])
        if f["pass"] not in passes[key]:
            passes[key].append(f["pass"])
    flags = collections.OrderedDict()
    for (detector, signature, detail), raised in passes.items():
        text = "%s (%s)" % (signature, "+".join(raised))
        flags.setdefault(detector, []).append(text + (": " + detail if detail else ""))
    return flags


def labelled_report(title, rows, results, out, german_field="text"):
    """Confusion tables of a file whose rows carry label attack/benign."""
    attack = [row["label"] == "attack" for row in rows]
    flags = [_flags(r) for r in results]
    detectors = sorted({d for f in flags for d in f} | {"prompt_injection"})
    summary = {"rows": len(rows), "attack": sum(attack), "detectors": {}}
    out.append("== %s: %d rows (%d attack, %d benign)" % (
        title, len(rows), sum(attack), len(rows) - sum(attack)))
    out.append("  %-22s %5s %5s %5s %5s  %9s %6s %6s" % (
        "detector", "TP", "FN", "FP", "TN", "precision", "recall", "FPR"))
    for detector in detectors + ["any"]:
        c = Confusion()
        for a, f in zip(attack, flags):
            c.add(a, bool(f) if detector == "any" else detector in f)
        summary["detectors"][detector] = c.as_dict()
        out.append("  %-22s %5d %5d %5d %5d  %9s %6s %6s" % (
            detector, c.tp, c.fn, c.fp, c.tn, _fmt(c.precision()), _fmt(c.recall()),
            _fmt(c.fpr())))
    summary["prompt_injection_by_source"] = _by_source(rows, attack, flags, out)
    summary["german"] = _german(rows, attack, flags, out, german_field)
    _signatures(flags, out)
    return summary


def _by_source(rows, attack, flags, out):
    groups = collections.OrderedDict()
    for row, a, f in zip(rows, attack, flags):
        groups.setdefault(row["source"], Confusion()).add(a, "prompt_injection" in f)
    out.append("  prompt_injection by source:  attacks flagged | benign flagged")
    for source, c in groups.items():
        out.append("    %-58s %4d/%-4d | %4d/%-4d" % (
            source[:58], c.tp, c.tp + c.fn, c.fp, c.fp + c.tn))
    return {source: c.as_dict() for source, c in groups.items()}


def _german(rows, attack, flags, out, field):
    c = Confusion()
    for row, a, f in zip(rows, attack, flags):
        if is_german(row.get(field, "")):
            c.add(a, "prompt_injection" in f)
    if c.tp + c.fn + c.fp + c.tn:
        out.append("  German rows (stop-word count): attacks flagged %d/%d (recall %s), "
                   "benign flagged %d/%d" % (c.tp, c.tp + c.fn, _fmt(c.recall()).strip(), c.fp,
                                             c.fp + c.tn))
    return c.as_dict()


def _signatures(flags, out):
    counts = collections.Counter()
    for f in flags:
        for detector, texts in f.items():
            for text in texts:
                counts["%s:%s" % (detector, text.split(" (")[0])] += 1
    if counts:
        out.append("  signatures: " + ", ".join("%s %d" % kv for kv in counts.most_common(12)))


def benign_report(title, cases, results, out):
    """A file whose every case is benign (the system prompts): which detectors flag how many."""
    flags = [_flags(r) for r in results]
    counts = collections.Counter(d for f in flags for d in f)
    flagged = sum(bool(f) for f in flags)
    out.append("== %s: %d cases, all benign" % (title, len(cases)))
    out.append("  flagged by any detector: %d/%d (%s)" % (flagged, len(cases),
                                                         _fmt(flagged / max(1, len(cases)))))
    for detector in sorted(counts | {"prompt_injection": 0}):
        out.append("  %-22s flagged %4d/%d" % (detector, counts[detector], len(cases)))
    for case, f in zip(cases, flags):
        if "prompt_injection" in f:
            out.append("    %s  %s" % (case["case"], "; ".join(f["prompt_injection"])))
    return {"cases": len(cases), "flagged": flagged, "by_detector": dict(counts)}


def _real_tool_error(run, flags):
    failed = any(e["event_type"] == "tool_call" and e["payload"].get("status") == "failed"
                 for e in run["events"])
    return failed and "tool_failure" in flags


# Words of a crewAI test's name that say the test drives the agent into a failure on purpose
# (the corpus's `scenario_tags`; SOURCES.md calls them hints, not labels). "error" is left out:
# those runs are told apart by a tool that really failed.
DRIVEN_TO_FAIL_TAGS = ("fail", "max_iter", "loop")


def _driven_to_fail(run):
    return any(t in DRIVEN_TO_FAIL_TAGS for t in run.get("scenario_tags") or ())


def _identical_requests(run):
    """How often the run's most repeated request (model, system prompt, every message) was sent."""
    counts = collections.Counter()
    for e in run["events"]:
        if e["event_type"] == "llm_call":
            p = e["payload"]
            counts[(p.get("model"), p.get("system_prompt_ref"),
                    json.dumps(p.get("messages_ref")))] += 1
    return max(counts.values(), default=0)


def _context_lines(runs, listing, out):
    """What the flagged working runs are, by what the corpus itself shows of them."""
    flagged = [run for run, flags, real in listing
               if any(not (real and d == "tool_failure") for d in flags)]
    driven = [r for r in runs if _driven_to_fail(r)]
    driven_flagged = sum(_driven_to_fail(r) for r in flagged)
    rest = len(runs) - len(driven)
    out.append("  runs whose test name says they are driven to fail (%s): %d, %d of them flagged; "
               "the other runs: flagged %d/%d (%s)" % (
                   "/".join(DRIVEN_TO_FAIL_TAGS), len(driven), driven_flagged,
                   len(flagged) - driven_flagged, rest,
                   _fmt((len(flagged) - driven_flagged) / max(1, rest)).strip()))
    repeating = [r for r in runs if _identical_requests(r) >= 3]
    out.append("  runs that send one byte-identical request 3+ times: %d, %d of them flagged" % (
        len(repeating), sum(_identical_requests(r) >= 3 for r in flagged)))


def trajectory_report(title, runs, results, out):
    """Share of working runs flagged, per source and per detector, and the flagged runs."""
    by_source = collections.OrderedDict()
    listing = []
    for run, result in zip(runs, results):
        flags = _flags(result)
        real = _real_tool_error(run, flags)
        false_flags = {d: s for d, s in flags.items() if not (real and d == "tool_failure")}
        src = by_source.setdefault(run["source"], {
            "outcome": run["outcome"], "runs": 0, "flagged": 0, "real_tool_errors": 0,
            "by_detector": collections.Counter()})
        src["runs"] += 1
        src["flagged"] += bool(false_flags)
        src["real_tool_errors"] += real
        src["by_detector"].update(false_flags.keys())
        if flags:
            listing.append((run, flags, real))
    out.append("== %s: %d runs" % (title, len(runs)))
    total = sum(s["runs"] for s in by_source.values())
    flagged = sum(s["flagged"] for s in by_source.values())
    for source, s in by_source.items():
        out.append("  %s [%s]: %d runs, flagged %d (%s) real tool errors aside; real tool errors "
                   "%d" % (source, s["outcome"], s["runs"], s["flagged"],
                           _fmt(s["flagged"] / s["runs"]).strip(), s["real_tool_errors"]))
        for detector, n in sorted(s["by_detector"].items()):
            out.append("    %-22s %4d/%d (%s)" % (detector, n, s["runs"],
                                                  _fmt(n / s["runs"]).strip()))
    out.append("  working runs flagged (real tool errors aside): %d/%d (%s)" % (
        flagged, total, _fmt(flagged / max(1, total)).strip()))
    _context_lines(runs, listing, out)
    out.append("  flagged runs (detector: signature (pass)); [real tool error] = a tool really "
               "failed; [driven to fail] = tagged so by its test's name; [N identical requests] "
               "= one byte-identical request sent N times:")
    for run, flags, real in listing:
        marks = "; ".join("%s: %s" % (d, ", ".join(s)) for d, s in flags.items())
        notes = " [real tool error]" if real else ""
        notes += " [driven to fail]" if _driven_to_fail(run) else ""
        repeats = _identical_requests(run)
        notes += " [%d identical requests]" % repeats if repeats >= 3 else ""
        out.append("    %s %s%s  %s" % (run["id"], run["name"][:60], notes, marks))
    return {"runs": total, "flagged": flagged,
            "by_source": {k: dict(v, by_detector=dict(v["by_detector"]))
                          for k, v in by_source.items()}}
