#include <iostream>

#include "bench/cli/commands.h"
#include "bench/peers/peers.h"

namespace ncb::cli {

void AddBenchPeersCommand(CLI::App& app, Runner* run) {
  auto* cmd = app.add_subcommand("bench-peers",
                                 "Time ncbench's SSIM, PSNR, LPIPS and OCR against scikit-image, "
                                 "ffmpeg, PyTorch LPIPS and the tesseract "
                                 "program on the same frames, and print the ratios");
  auto o = std::make_shared<PeersOptions>();
  cmd->add_option("--frames", o->frames, "Frame pairs for ssim, psnr and lpips")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--ocr-frames", o->ocr_frames, "Frames for OCR (0: no OCR)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  cmd->add_option("--width", o->width, "Frame width")
      ->check(CLI::Range(16, 8192))
      ->capture_default_str();
  cmd->add_option("--height", o->height, "Frame height")
      ->check(CLI::Range(16, 8192))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "ncbench's LibTorch threads and OCR workers")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--python", o->python, "Python with scikit-image and PyTorch (Debian's)")
      ->capture_default_str();
  cmd->add_option("--tools", o->tools_dir,
                  "Folder of the reference scripts (default: the source tree's tests/tools)");
  cmd->add_option("--out", o->out_dir, "Folder for the frames and peers.json")->required();
  cmd->callback([=] {
    *run = [=]() -> int {
      Logger log = [](LogLevel level, const std::string& msg) {
        if (level != LogLevel::kDebug) std::cerr << "ncbench: " << msg << "\n";
      };
      const auto r = RunPeers(*o, log);
      std::cout << PeersTable(r) << "\nresult: " << o->out_dir << "/peers.json\n";
      for (const auto& row : r["rows"]) {
        if (row.contains("skipped")) return 3;  // a peer could not run: the table says why
      }
      return 0;
    };
  });
}

}  // namespace ncb::cli
