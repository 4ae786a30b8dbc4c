#!/usr/bin/env python3
"""docs/examples/nc_server.py with one fault, for the process adapter's tests.

  faulty_nc_server.py FAULT MARKER -- NC_SERVER_ARGS...
FAULT applies to the first rollout/step request of the first server started (MARKER, a file
path, records that it fired; later servers, the restarts, behave):
  crash       exit 3 without a reply
  hang        sleep past any timeout
  garbage     reply with a line that is not JSON
  wrong_size  reply with frames of half the width
  raise       reply {"ok": false} (the model raised; the server stays up)
  wrong_name  reply with the frames named "video" instead of "frames"
  nan         reply with frames that are all NaN (a frame check, not the protocol, fails)
  no_handshake  exit before the handshake (every start)
  crash_then_other_spec  crash like `crash`; the restarted servers declare fps + 1
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "examples"))
import nc_server  # noqa: E402

fault, marker = sys.argv[1], sys.argv[2]
args = sys.argv[sys.argv.index("--") + 1:]
if fault == "no_handshake":
    sys.stderr.write("faulty_nc_server: leaving before the handshake\n")
    sys.exit(5)
armed = not os.path.exists(marker)
real_write = nc_server.write_message


def faulty_write(out, header, tensors=()):
    global armed
    if fault == "crash_then_other_spec" and not armed and "protocol" in header:
        header = dict(header, spec=dict(header["spec"], fps=header["spec"]["fps"] + 1))
    if armed and "protocol" not in header:
        armed = False
        open(marker, "w").close()
        if fault in ("crash", "crash_then_other_spec"):
            sys.stderr.write("faulty_nc_server: crashing\n")
            sys.stderr.flush()
            os._exit(3)
        if fault == "hang":
            time.sleep(3600)
        if fault == "garbage":
            out.write(b"this is not json\n")
            out.flush()
            return
        if fault == "wrong_size" and tensors:
            tensors = [t[..., : t.shape[-1] // 2].contiguous() for t in tensors]
        if fault == "wrong_name" and tensors:
            header = dict(header, names=["video"])
        if fault == "nan" and tensors:
            tensors = [t * float("nan") for t in tensors]
        if fault == "raise":
            header = {"ok": False, "error": "RuntimeError: planted failure"}
            tensors = ()
    real_write(out, header, tensors)


nc_server.write_message = faulty_write
nc_server.main(args)
