#include <iostream>
#include <sstream>

#include "bench/cli/commands.h"
#include "bench/run/eval_runner.h"
#include "reports/report.h"

namespace ncb::cli {

void AddEvalCommand(CLI::App& app, Runner* run, const std::vector<std::string>& argv) {
  auto* cmd = app.add_subcommand("eval", "Roll a checkpoint out over a dataset and score it");
  auto opt = std::make_shared<EvalOptions>();
  auto metrics = std::make_shared<std::string>("psnr,ssim");
  auto mode = std::make_shared<std::string>("auto");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("--checkpoint", opt->checkpoint,
                  "torchscript:PATH, videos:DIR, or a path (file: TorchScript, folder: videos)")
      ->required();
  cmd->add_option("--dataset", opt->manifest, "Manifest (JSONL) of the held-out samples")
      ->required()->check(CLI::ExistingFile);
  cmd->add_option("--metrics", *metrics, "Comma-separated metrics")->capture_default_str();
  cmd->add_option("--out", opt->out_dir, "Output folder for report.json and samples.jsonl")->required();
  cmd->add_option("--device", opt->device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Run seed (each sample: seed + fnv1a(id))")->capture_default_str();
  cmd->add_option("--batch-size", opt->batch_size, "Samples per rollout call (equal length)")
      ->capture_default_str();
  cmd->add_option("--mode", *mode, "auto | rollout | step (step needs init/step)")
      ->check(CLI::IsMember({"auto", "rollout", "step"}))->capture_default_str();
  cmd->add_option("--caption-style", opt->align.caption_style, "semantic | regular | detailed")
      ->capture_default_str();
  cmd->add_option("--resize", opt->align.resize, "Ground-truth resize policy")
      ->check(CLI::IsMember({"area-down/bilinear-up", "none"}))->capture_default_str();
  cmd->add_option("--max-frames", opt->align.max_frames, "Cap on frames per sample (0: all)")
      ->capture_default_str();
  cmd->add_option("--max-samples", opt->max_samples, "Cap on samples (0: all)")->capture_default_str();
  cmd->add_option("--font-px", opt->align.render.font_px, "Terminal font size for .cast ground truth")
      ->capture_default_str();
  cmd->add_flag("--fail-fast", opt->fail_fast, "Stop at the first failed sample");
  cmd->add_flag("--quiet", *quiet, "Print only the report path");
  *run = nullptr;
  cmd->callback([=] {
    *run = [=]() -> int {
      opt->metrics.clear();
      std::stringstream ss(*metrics);
      for (std::string m; std::getline(ss, m, ',');) {
        if (!m.empty()) opt->metrics.push_back(m);
      }
      opt->mode = *mode == "step" ? RolloutMode::kStep
                  : *mode == "rollout" ? RolloutMode::kRollout : RolloutMode::kAuto;
      opt->command_line = argv;
      Logger log = [q = *quiet](LogLevel level, const std::string& msg) {
        if (!q && level != LogLevel::kDebug) std::cerr << "ncbench: " << msg << "\n";
      };
      const auto report = RunEval(*opt, log);
      if (!*quiet) PrintSummary(std::cout, report);
      std::cout << "\nreport: " << opt->out_dir << "/report.json\n";
      return report["summary"]["samples_failed"].get<int64_t>() > 0 ? 3 : 0;
    };
  });
}

}  // namespace ncb::cli
