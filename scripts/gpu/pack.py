#!/usr/bin/python3
"""Packs what scripts/gpu/check.sh needs on a borrowed CUDA machine that has PyTorch (a CUDA
LibTorch), a compiler and CMake, but none of Debian's OpenCV, Tesseract, libvterm, X11, GoogleTest.

Writes .gpu/ in the checkout (git-ignored through .git/info/exclude):
  .gpu/sys.tar.xz   headers, CMake/pkg-config files and shared libraries from this Debian 12
                    machine, laid out as /usr. Libraries that the CUDA check never calls (GDAL,
                    GDCM, OpenEXR, FFmpeg, GStreamer, libgphoto2, libdc1394, libarchive, libcurl)
                    are replaced by stubs that export the same symbols and return 0 (set
                    NCB_STUB_TRACE=1 to see each call): the real ones with their dependencies are
                    about 300 MB, over the device tool's 64 MiB.
  .gpu/data/        the main job's recordings and reference checkpoints (build/main_job_test),
                    and the LPIPS weights.
Run after a build: /usr/bin/python3 scripts/gpu/pack.py [BUILD_DIR]
"""
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
OUT = os.path.join(ROOT, ".gpu")
ARCH = "x86_64-linux-gnu"
LIBDIR = "/usr/lib/" + ARCH

# Provided by the machine's own C/C++ toolchain or by PyTorch's wheel.
SYSTEM = re.compile(r"^(libc|libm|libdl|librt|libpthread|libutil|libresolv|ld-linux-x86-64|"
                    r"libstdc\+\+|libgcc_s|libgomp|libtorch\w*|libc10\w*)\.so")
STUBS = {
    "libgdal.so.32", "libgdcmMSFF.so.3.0", "libgdcmDSED.so.3.0", "libOpenEXR-3_1.so.30",
    "libdc1394.so.25", "libgstbase-1.0.so.0", "libgstreamer-1.0.so.0", "libgobject-2.0.so.0",
    "libglib-2.0.so.0", "libgstapp-1.0.so.0", "libgstriff-1.0.so.0", "libgstpbutils-1.0.so.0",
    "libgstvideo-1.0.so.0", "libgstaudio-1.0.so.0", "libavcodec.so.59", "libavformat.so.59",
    "libavutil.so.57", "libswscale.so.6", "libgphoto2.so.6", "libgphoto2_port.so.12",
    "libarchive.so.13", "libcurl.so.4",
}
HEADERS = ["opencv4", "tesseract", "leptonica", "nlohmann", "CLI", "freetype2", "X11", "openssl",
           "gtest", "gmock", "fontconfig", "vterm.h", "vterm_keycodes.h"]
# Names linked at build time (-lNAME through CMake's find modules and pkg-config).
DEV_LINKS = ["libopencv_core", "libopencv_imgproc", "libopencv_imgcodecs", "libopencv_videoio",
             "libopencv_dnn", "libtesseract", "liblept", "libvterm", "libfreetype", "libfontconfig",
             "libcrypto", "libX11", "libXtst", "libXfixes", "libXcursor", "libXrender", "libXi",
             "libXext"]  # CMake 4's FindX11 wants Xrender and Xi beside Xcursor and Xtst


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)


def soname(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", out).group(1)


def resolve(soname):
    for d in ("/lib/" + ARCH, LIBDIR, "/usr/lib/" + ARCH + "/lapack", "/usr/lib/" + ARCH + "/blas"):
        p = os.path.join(d, soname)
        if os.path.exists(p):
            return os.path.realpath(p)
    raise SystemExit(f"pack: {soname} not found")


def closure(roots):
    keep, stub, todo = {}, set(), list(roots)
    while todo:
        so = todo.pop()
        if so in keep or so in stub or SYSTEM.match(so):
            continue
        if so in STUBS:
            stub.add(so)
            continue
        keep[so] = resolve(so)
        todo += needed(keep[so])
    return keep, stub


def make_stub(soname, dest, work):
    real = resolve(soname)
    syms = subprocess.run(["readelf", "--dyn-syms", "-W", real], capture_output=True, text=True,
                          check=True).stdout
    # A stub returns 0 (a global constructor in OpenCV's imgcodecs calls OpenEXR at load time);
    # NCB_STUB_TRACE=1 names each call on stderr.
    by_version, code = {}, ["#include <stdio.h>", "#include <stdlib.h>",
                            "static long note(const char* s) {",
                            '  if (getenv("NCB_STUB_TRACE"))',
                            f'    fprintf(stderr, "stub of {soname} (scripts/gpu/pack.py): %s called\\n", s);',
                            "  return 0;", "}"]
    n = 0
    for line in syms.splitlines():
        f = line.split()
        if len(f) < 8 or f[0] == "Num:" or not f[0].endswith(":") or f[6] in ("UND", "ABS") or f[4] == "LOCAL":
            continue
        name, typ, size = f[7], f[3], int(f[2], 0) if f[2].startswith("0x") else int(f[2])
        if "@@" in name:
            name, ver = name.split("@@")
        elif "@" in name:
            continue  # an older version of a symbol: never what a current build links
        else:
            ver = None
        if name in by_version.get(ver, []):
            continue
        by_version.setdefault(ver, []).append(name)
        n += 1
        if typ == "FUNC" or typ == "IFUNC" or typ == "NOTYPE":
            code.append(f'long f{n}(void) __asm__("{name}");\nlong f{n}(void) {{ return note("{name}"); }}')
        elif typ == "OBJECT":
            code.append(f'__attribute__((aligned(16))) char d{n}[{max(size, 1)}] __asm__("{name}");')
        elif typ == "TLS":
            code.append(f'__thread char t{n}[{max(size, 1)}] __asm__("{name}");')
    src = os.path.join(work, soname + ".c")
    with open(src, "w") as fh:
        fh.write("\n".join(code) + "\n")
    cmd = ["gcc", "-shared", "-fPIC", "-O0", "-w", "-o", os.path.join(dest, soname), src,
           "-Wl,-soname," + soname]
    versions = [v for v in by_version if v]
    if versions:  # unversioned symbols of a versioned library go to its first version
        by_version[versions[0]] += by_version.pop(None, [])
        vmap = os.path.join(work, soname + ".map")
        with open(vmap, "w") as fh:
            for v in versions:
                fh.write(v + " {\n  global:\n" + "".join(f"    {s};\n" for s in by_version[v]) +
                         "};\n")
        cmd.append("-Wl,--version-script=" + vmap)
    subprocess.run(cmd, check=True)
    return n


def main():
    binaries = [os.path.join(BUILD, p) for p in ("bench/cli/ncbench", "tests/unit_tests",
                                                  "tests/e2e_tests")]
    roots = set()
    for b in binaries:
        roots.update(needed(b))
    for lib in DEV_LINKS:  # also what the build links that the old binary did not need
        roots.add(soname(os.path.join(LIBDIR, lib + ".so")))
    roots.add("libpkgconf.so.3")
    keep, stub = closure(sorted(roots))
    shutil.rmtree(OUT, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        usr = os.path.join(tmp, "usr")
        lib = os.path.join(usr, "lib", ARCH)
        os.makedirs(lib)
        # real libraries under their sonames; stubs; the unversioned names a build links
        for so, path in keep.items():
            shutil.copy2(path, os.path.join(lib, so))
        nsyms = {so: make_stub(so, lib, tmp) for so in sorted(stub)}
        for name in DEV_LINKS:
            os.symlink(soname(os.path.join(LIBDIR, name + ".so")), os.path.join(lib, name + ".so"))
        for a in ("libgtest.a", "libgtest_main.a", "libgmock.a", "libgmock_main.a"):
            shutil.copy2(os.path.join(LIBDIR, a), lib)
        # headers
        inc = os.path.join(usr, "include")
        os.makedirs(inc)
        for h in HEADERS:
            src = os.path.join("/usr/include", h)
            (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(inc, h))
        shutil.copytree("/usr/include/" + ARCH + "/opencv4/opencv2", inc + "/opencv4/opencv2",
                        dirs_exist_ok=True)
        shutil.copytree("/usr/include/" + ARCH + "/openssl", inc + "/openssl", dirs_exist_ok=True)
        # CMake packages: GoogleTest (relocatable), nlohmann_json, CLI11; OpenCV's own config lists
        # every module Debian builds, so a small one names the five ncbench links.
        shutil.copytree(LIBDIR + "/cmake/GTest", lib + "/cmake/GTest")
        for p in ("nlohmann_json", "CLI11"):
            shutil.copytree("/usr/share/cmake/" + p, usr + "/share/cmake/" + p)
        os.makedirs(lib + "/cmake/opencv4")
        with open(lib + "/cmake/opencv4/OpenCVConfig.cmake", "w") as fh:
            fh.write(OPENCV_CONFIG)
        # pkg-config: the three .pc files ncbench asks for, relative to where they lie
        pc = os.path.join(lib, "pkgconfig")
        os.makedirs(pc)
        for name in ("tesseract", "lept", "vterm"):
            text = open(f"{LIBDIR}/pkgconfig/{name}.pc").read()
            text = re.sub(r"^prefix=.*$", "prefix=${pcfiledir}/../../..", text, flags=re.M)
            text = re.sub(r"^libdir=/usr", "libdir=${prefix}", text, flags=re.M)
            text = text.replace(" -larchive", "").replace(" -lcurl", "")  # tesseract's own needs
            open(os.path.join(pc, name + ".pc"), "w").write(text)
        os.makedirs(usr + "/bin")
        shutil.copy2("/usr/bin/pkgconf", usr + "/bin/pkgconf.real")
        with open(usr + "/bin/pkg-config", "w") as fh:
            fh.write('#!/bin/sh\nd="$(cd "$(dirname "$0")" && pwd)"\n'
                     'LD_LIBRARY_PATH="$d/../lib/' + ARCH + '" PKG_CONFIG_LIBDIR="$d/../lib/' +
                     ARCH + '/pkgconfig" exec "$d/pkgconf.real" "$@"\n')
        os.chmod(usr + "/bin/pkg-config", 0o755)
        os.makedirs(OUT)
        with tarfile.open(os.path.join(OUT, "sys.tar.xz"), "w:xz") as t:
            t.add(usr, arcname="usr")
    data = os.path.join(OUT, "data")
    for d in ("cli", "gui", "checkpoints"):
        shutil.copytree(os.path.join(BUILD, "main_job_test", d), os.path.join(data, d))
    os.makedirs(data + "/weights")
    for f in os.listdir(os.path.join(ROOT, "weights")):
        shutil.copy2(os.path.join(ROOT, "weights", f), data + "/weights/" + f, follow_symlinks=True)
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"pack: {len(keep)} libraries, {len(stub)} stubs "
          f"({', '.join(f'{k} {v}' for k, v in nsyms.items())} symbols); .gpu/ is "
          f"{size / 2**20:.1f} MiB")


OPENCV_CONFIG = r"""# ncbench's GPU check (scripts/gpu/pack.py): Debian's OpenCV 4.6, five modules.
get_filename_component(_ocv_prefix "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
set(OpenCV_VERSION 4.6.0)
set(OpenCV_INCLUDE_DIRS "${_ocv_prefix}/include/opencv4")
set(OpenCV_LIBS)
foreach(m core imgproc imgcodecs videoio dnn)
  if(NOT TARGET opencv_${m})
    add_library(opencv_${m} SHARED IMPORTED)
    set_target_properties(opencv_${m} PROPERTIES
      IMPORTED_LOCATION "${_ocv_prefix}/lib/x86_64-linux-gnu/libopencv_${m}.so.406"
      INTERFACE_INCLUDE_DIRECTORIES "${OpenCV_INCLUDE_DIRS}")
  endif()
  list(APPEND OpenCV_LIBS opencv_${m})
endforeach()
set(OpenCV_FOUND TRUE)
"""

if __name__ == "__main__":
    main()
