#!/usr/bin/python3
"""Independent re-computation of ncbench's `ocr` scores from the texts its report records.

Reads report.json (argv[1]) and, for every sample, re-derives from the recorded raw Tesseract
texts (and screen text, for gt_source=buffer) the frame scores, the per-sample means, the
dataset means and the pooled CER with its own normalisation and Levenshtein (written here from
the definitions of the Neural Computers paper's Appendix B.2, sharing no code with ncbench).
Prints {"max_abs_diff": d, "values": n}: the largest difference from what the report says.
Run with Debian's /usr/bin/python3.
"""
import json
import re
import sys


def normalise(text):
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t]+", " ", line.strip(" \t\n\r\f\v"))
        if line:
            lines.append(line)
    return lines


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(s, t):
    edits = levenshtein(s, t)
    if not s:
        return (1.0 if not t else 0.0), edits, 0
    return max(0.0, 1.0 - edits / max(len(s), 1)), edits, len(s)


def line_accuracy(g, p):
    if not g:
        return 1.0 if not p else 0.0
    return sum(1 for i, gl in enumerate(g) if i < len(p) and p[i] == gl) / len(g)


def main():
    report = json.load(open(sys.argv[1]))
    (config,) = [m for m in report["config"]["metrics"] if m["name"].startswith("ocr")]
    name = config["name"]
    use_buffer = config["options"]["gt_source"] == "buffer"
    diffs = []

    def check(got, want):
        if want is None or got is None:
            diffs.append(0.0 if want is got else float("inf"))
        else:
            diffs.append(abs(got - want))

    sample_char, sample_line, edits_total, ref_total = [], [], 0, 0
    for sample in report["samples"]:
        if sample["status"] != "ok":
            continue
        scores = sample["scores"]
        chars, lines = [], []
        s_edits = s_ref = 0
        for f in scores["ocr_frames"]:
            ref_lines = normalise(f["buffer_text"] if use_buffer else f["gt_text"])
            hyp_lines = normalise(f["gen_text"])
            acc, edits, ref = char_accuracy("\n".join(ref_lines), "\n".join(hyp_lines))
            la = line_accuracy(ref_lines, hyp_lines)
            check(f["char_accuracy"], acc)
            check(f["line_accuracy"], la)
            check(f["edits"], edits)
            check(f["reference_chars"], ref)
            chars.append(acc)
            lines.append(la)
            s_edits += edits
            s_ref += ref
        check(scores["ocr_char_accuracy"], sum(chars) / len(chars))
        check(scores["ocr_line_accuracy"], sum(lines) / len(lines))
        check(scores["ocr_cer"], s_edits / s_ref if s_ref else None)
        sample_char.append(sum(chars) / len(chars))
        sample_line.append(sum(lines) / len(lines))
        edits_total += s_edits
        ref_total += s_ref
    agg = report["aggregates"][name]
    check(agg["ocr_char_accuracy"], sum(sample_char) / len(sample_char))
    check(agg["ocr_line_accuracy"], sum(sample_line) / len(sample_line))
    check(agg["ocr_cer"], edits_total / ref_total if ref_total else None)
    print(json.dumps({"max_abs_diff": max(diffs), "values": len(diffs)}))


if __name__ == "__main__":
    main()
