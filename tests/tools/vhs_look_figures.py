#!/usr/bin/python3
"""Records every released CLIGen (Clean) tape with `ncbench datasets record` (the vhs look its
Set lines ask for, 25 fps) and compares each with the video vhs made of it: frame counts, SSIM
of the last frames (scikit-image, grey) and Tesseract's character accuracy on them (1 - edit
distance / length of the released frame's text; both frames inverted to dark on light, --psm 6).
Tapes whose output depends on the machine (host, clock, user, processes, listings, paths,
environment variables, random numbers) are listed apart with the reason.

  /usr/bin/python3 tests/tools/vhs_look_figures.py --ncbench build/bench/cli/ncbench \
      --shared ../shared --work /tmp/vhs_figures [--markdown docs/cli-vhs-figures.md]
      [--tapes demo_000007 demo_000034 ...]

Needs ffmpeg, tesseract and Debian's python3-skimage / python3-pil (scripts/install-deps.sh).
Takes about 30 minutes on 2 cores (the tapes play in real time)."""
import argparse, glob, json, os, re, shutil, subprocess, sys
import numpy as np
from PIL import Image, ImageOps
from skimage.metrics import structural_similarity

MACHINE = [
    (r'\bhostname\b|uname|hostnamectl', 'host/kernel'),
    (r'\bdate\b|\bcal\b|uptime|\btime\b', 'clock'),
    (r'whoami|\bid\b|\bwho\b|\blogname\b|\bgroups\b', 'user'),
    (r'\$\$|\bps\b|pgrep|\bjobs\b|\$!', 'process ids'),
    (r'\bls\b|\bpwd\b|\bdf\b|\bdu\b|\bfind\b|\bstat\b|\btree\b|\bmount\b|\bfree\b|/proc|/sys|'
     r'\benv\b|printenv|\bset\b|\bdeclare\b|compgen|\btype\b|\bwhich\b|\bhash\b|\bhelp\b',
     'listings/paths/builtins'),
    (r'RANDOM|mktemp|shuf|urandom|uuid', 'random'),
    (r'\$[A-Z_][A-Z_0-9]*|\$\{[A-Z_]|\$0|\btty\b|\bulimit\b|\bnproc\b|\bhistory\b|--version',
     'environment/shell'),
]


def typed(tape):
    return [m.group(1) for m in re.finditer(r'^Type(?:@\S+)? "(.*)"$', open(tape).read(), re.M)]


def ocr(image, scratch):
    ImageOps.invert(image.convert('L')).save(scratch)
    out = subprocess.run(['tesseract', scratch, 'stdout', '--psm', '6'], capture_output=True,
                         text=True).stdout
    return '\n'.join(l.strip() for l in out.splitlines() if l.strip())


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ncbench', required=True)
    ap.add_argument('--shared', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--markdown')
    ap.add_argument('--tapes', nargs='+', help='only these tape ids (e.g. demo_000007)')
    ap.add_argument('--fresh', action='store_true',
                    help='record again even where --work holds a recording')
    ap.add_argument('--require-ssim', type=float,
                    help='exit 1 when the machine-independent tapes average a lower SSIM')
    ap.add_argument('--require-ocr', type=float,
                    help='exit 1 when the machine-independent tapes average a lower OCR accuracy')
    a = ap.parse_args()
    released = os.path.join(a.shared, 'data/cligen-clean')
    if not os.path.isdir(released):
        print('skipped: %s is absent (../shared is not beside the checkout)' % released)
        sys.exit(77)
    os.makedirs(a.work, exist_ok=True)
    rows = []
    for tape in sorted(glob.glob(os.path.join(released, 'demo_*.tape'))):
        tid = os.path.basename(tape)[:-5]
        if a.tapes and tid not in a.tapes:
            continue
        out = os.path.join(a.work, tid)
        if a.fresh:
            shutil.rmtree(out, ignore_errors=True)
        if not glob.glob(os.path.join(out, 'frames', tid, '*.png')):
            subprocess.run([a.ncbench, 'datasets', 'record', tape, '--out', out, '--fps', '25'],
                           check=True, capture_output=True)
        frames = sorted(glob.glob(os.path.join(out, 'frames', tid, '*.png')))
        video = os.path.join(released, tid + '.mp4')
        n = int(subprocess.run(['ffprobe', '-v', 'error', '-count_frames', '-select_streams', 'v:0',
                                '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', video],
                               capture_output=True, text=True).stdout)
        last = os.path.join(a.work, '_released.png')
        subprocess.run(['ffmpeg', '-v', 'error', '-sseof', '-0.1', '-i', video, '-frames:v', '1',
                        '-update', '1', '-y', last], check=True)
        theirs, ours = Image.open(last).convert('RGB'), Image.open(frames[-1]).convert('RGB')
        ssim = structural_similarity(np.asarray(ours.convert('L')),
                                     np.asarray(theirs.convert('L')), data_range=255)
        scratch = os.path.join(a.work, '_ocr.png')
        want, got = ocr(theirs, scratch), ocr(ours, scratch)
        accuracy = max(0.0, 1 - edit_distance(got, want) / max(1, len(want)))
        commands = ' ; '.join(typed(tape))
        why = ', '.join(w for rx, w in MACHINE if re.search(rx, commands))
        rows.append(dict(id=tid, frames=len(frames), released=n, ssim=ssim, ocr=accuracy,
                         excluded=why, commands=commands))
    kept = [r for r in rows if not r['excluded']]
    summary = dict(tapes=len(rows), kept=len(kept),
                   ssim_kept=float(np.mean([r['ssim'] for r in kept])) if kept else None,
                   ocr_kept=float(np.mean([r['ocr'] for r in kept])) if kept else None,
                   ssim_all=float(np.mean([r['ssim'] for r in rows])),
                   ocr_all=float(np.mean([r['ocr'] for r in rows])),
                   frames_within_one=float(np.mean([abs(r['frames'] - r['released']) <= 1
                                                    for r in rows])))
    print(json.dumps(summary, indent=1))
    json.dump(dict(summary=summary, tapes=rows), open(os.path.join(a.work, 'figures.json'), 'w'),
              indent=1)
    if a.markdown:
        with open(a.markdown, 'w') as md:
            md.write('# The vhs look against the released CLIGen (Clean) renders\n\n')
            md.write('Made by `tests/tools/vhs_look_figures.py` (what it measures is in its '
                     'header). Summary: %d tapes; %d whose output does not depend on the machine: '
                     'last-frame SSIM %.3f, OCR character accuracy %.3f; over all tapes SSIM '
                     '%.3f, OCR %.3f; frame count within one frame of the released video: '
                     '%.0f %% of tapes.\n\n' % (summary['tapes'], summary['kept'],
                                                summary['ssim_kept'] or 0, summary['ocr_kept'] or 0,
                                                summary['ssim_all'], summary['ocr_all'],
                                                100 * summary['frames_within_one']))
            md.write('| tape | frames (ncbench) | frames (released) | SSIM | OCR | '
                     'depends on the machine | typed |\n|---|---:|---:|---:|---:|---|---|\n')
            for r in rows:
                md.write('| %s | %d | %d | %.4f | %.3f | %s | `%s` |\n' % (
                    r['id'], r['frames'], r['released'], r['ssim'], r['ocr'], r['excluded'] or '-',
                    r['commands'].replace('|', '\\|').replace('`', "'")))
    failed = [f'{name} {value:.3f} < {floor}' for name, value, floor in (
        ('SSIM', summary['ssim_kept'], a.require_ssim), ('OCR', summary['ocr_kept'], a.require_ocr))
        if floor is not None and (value is None or value < floor)]
    if failed:
        print('FAILED on the machine-independent tapes: ' + '; '.join(failed))
        sys.exit(1)


if __name__ == '__main__':
    main()
