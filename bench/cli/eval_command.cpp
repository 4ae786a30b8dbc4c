#include <cstdio>
#include <iostream>
#include <sstream>

#include "bench/cli/commands.h"
#include "bench/run/eval_runner.h"
#include "bench/run/merge.h"
#include "bench/run/throughput_run.h"
#include "core/errors.h"
#include "core/interrupt.h"
#include "metrics/metric.h"
#include "probes/arithmetic/probe.h"
#include "probes/probe.h"
#include "reports/html/html_report.h"
#include "reports/report.h"

namespace ncb::cli {
namespace {
std::vector<std::string> SplitList(const std::string& csv) {
  std::vector<std::string> out;
  std::stringstream ss(csv);
  for (std::string m; std::getline(ss, m, ',');) {
    if (!m.empty()) out.push_back(m);
  }
  return out;
}
}  // namespace

void AddEvalCommand(CLI::App& app, Runner* run, const std::vector<std::string>& argv) {
  auto* cmd = app.add_subcommand("eval", "Roll a checkpoint out over a dataset and score it");
  auto opt = std::make_shared<EvalOptions>();
  auto metrics = std::make_shared<std::string>("psnr,ssim");
  auto mode = std::make_shared<std::string>("rollout");
  auto quiet = std::make_shared<bool>(false);
  auto metric_opts = std::make_shared<std::vector<std::string>>();
  auto probes = std::make_shared<std::string>();
  auto no_cache = std::make_shared<bool>(false);
  auto no_html = std::make_shared<bool>(false);
  opt->cache_dir = DefaultCacheDir();
  cmd->add_option("--checkpoint", opt->checkpoint,
                  "torchscript:PATH, videos:DIR, process:'COMMAND ARGS' (a model server, "
                  "docs/checkpoints.md), or a path (file: TorchScript, folder: videos)")
      ->required();
  cmd->add_option("--dataset", opt->manifest,
                  "Manifest (JSONL) of the held-out samples (with --throughput-only: optional, its "
                  "first sample's first frame and prompt)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--metrics", *metrics, "Comma-separated metrics. " + MetricHelp())
      ->capture_default_str();
  cmd->add_option("--metric-option", *metric_opts,
                  "METRIC.KEY=VALUE, repeatable; VALUE is JSON or a bare string (e.g. ocr.psm=6, "
                  "ocr.gt_source=buffer, ocr.threads=1)");
  cmd->add_option("--cache-dir", opt->cache_dir, "Folder for the ground-truth OCR cache")
      ->capture_default_str();
  cmd->add_flag("--no-cache", *no_cache, "Neither read nor write on-disk caches");
  cmd->add_option(
      "--probes", *probes, "Comma-separated probes (" + [] {
        std::string names;
        for (const auto& n : ProbeNames()) names += (names.empty() ? "" : ", ") + n;
        return names;
      }() + ")");
  auto arithmetic = std::make_shared<ArithmeticProbeOptions>();
  cmd->add_option("--problems", arithmetic->problems,
                  "Arithmetic probe: problems drawn from the pool of 1000")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--reprompt", arithmetic->reprompt,
                "Arithmetic probe: also run the re-prompted variant (\"The answer is <value>.\")");
  cmd->add_option("--probe-read-frames", arithmetic->read_frames,
                  "Arithmetic probe: last frames OCR'd for the answer")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--probe-font-px", arithmetic->font_px,
                  "Arithmetic probe: font of the first frame (0: about 24 rows)")
      ->capture_default_str();
  cmd->add_option("--out", opt->out_dir, "Output folder for report.json and samples.jsonl")
      ->required();
  cmd->add_option("--device", opt->device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Run seed (each sample: seed + fnv1a(id))")
      ->capture_default_str();
  cmd->add_option("--batch-size", opt->batch_size, "Samples per rollout call (equal length)")
      ->capture_default_str();
  cmd->add_option("--mode", *mode,
                  "rollout (one rollout() call per batch) | step (init(), then one step() per "
                  "frame; the checkpoint must offer both)")
      ->check(CLI::IsMember({"rollout", "step"}))
      ->capture_default_str();
  cmd->add_option("--caption-style", opt->align.caption_style, "semantic | regular | detailed")
      ->capture_default_str();
  cmd->add_option("--resize", opt->align.resize,
                  "Ground-truth resize policy: stretch (area down, bilinear up), none (refuse), or "
                  "letterbox (fit, black bars; the GUI cursor follows)")
      ->check(CLI::IsMember({"area-down/bilinear-up", "none", "letterbox"}))
      ->capture_default_str();
  cmd->add_option("--max-frames", opt->align.max_frames, "Cap on frames per sample (0: all)")
      ->capture_default_str();
  cmd->add_option("--max-samples", opt->max_samples, "Cap on samples (0: all)")
      ->capture_default_str();
  auto shard = std::make_shared<std::string>();
  cmd->add_option("--shard", *shard,
                  "i/N: score only the samples j (manifest order) with j mod N = i-1; join the N "
                  "reports with `ncbench merge`");
  cmd->add_option("--font-px", opt->align.render.font_px,
                  "Terminal font size for .cast ground truth")
      ->capture_default_str();
  cmd->add_flag("--fail-fast", opt->fail_fast, "Stop at the first failed sample");
  cmd->add_flag("--resume", opt->resume,
                "Keep the samples OUT/samples.jsonl holds from an earlier run of the same "
                "configuration (killed or "
                "interrupted) and score only the rest; failed samples are tried again");
  cmd->add_option("--bootstrap", opt->bootstrap.replicates,
                  "Bootstrap replicates for the aggregates' 95% intervals (0: none)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option(
         "--strip-frames", opt->strip_frames,
         "Frames per sample in the report's ground-truth/generated/difference strips (0: none)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads,
                  "LibTorch intra-op threads (0: LibTorch's default, the physical cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--warmup-steps", opt->warmup_steps,
                  "step() calls at the start of the run left out of the latency percentiles")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_flag(
      "--no-pipeline", [opt](int64_t) { opt->pipeline = false; },
      "Decode ground truth and score in turn with each model step instead of during it");
  cmd->add_option("--process-timeout", opt->checkpoint_options.process_timeout_s,
                  "process: checkpoints: seconds to wait for the server's handshake or one reply")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option(
         "--metric-batch", opt->metric_batch,
         "Samples per call of PSNR, SSIM and LPIPS (0: the whole batch on CUDA, 1 on the CPU)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  auto tput = std::make_shared<ThroughputOptions>();
  auto tput_only = std::make_shared<bool>(false);
  auto batch_sizes = std::make_shared<std::string>("1,2,4");
  cmd->add_flag("--throughput-only", *tput_only,
                "Measure the checkpoint's rollout speed (frames/s and latency vs batch size) "
                "without ground truth");
  cmd->add_option("--batch-sizes", *batch_sizes, "--throughput-only: batch sizes to sweep")
      ->capture_default_str();
  cmd->add_option("--frames", tput->frames, "--throughput-only: frames per rollout")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--repeats", tput->repeats,
                  "--throughput-only: timed rollouts per batch size and mode")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--quiet", *quiet, "Print only the report path");
  cmd->add_flag("--no-html", *no_html, "Write report.json only, not report.html");
  *run = nullptr;
  cmd->callback([=] {
    *run = [=]() -> int {
      Logger log = [q = *quiet](LogLevel level, const std::string& msg) {
        if (!q && level != LogLevel::kDebug) std::cerr << "ncbench: " << msg << "\n";
      };
      if (*tput_only) {
        tput->checkpoint = opt->checkpoint;
        tput->manifest = opt->manifest;
        tput->device = opt->device;
        tput->seed = opt->seed;
        tput->threads = opt->threads;
        tput->checkpoint_options = opt->checkpoint_options;
        tput->out_dir = opt->out_dir;
        tput->command_line = argv;
        tput->batch_sizes.clear();
        for (const auto& b : SplitList(*batch_sizes)) {
          try {
            tput->batch_sizes.push_back(std::stoi(b));
          } catch (const std::exception&) {
            throw Error("--batch-sizes: '" + b + "' is not an integer");
          }
        }
        const auto report = RunThroughput(*tput, log);
        if (!*quiet) std::cout << ThroughputTable(report);
        std::cout << "\nreport: " << opt->out_dir << "/report.json\n";
        for (const auto& row : report["throughput"]["sweep"]) {
          if (row.contains("error")) return 3;
        }
        return 0;
      }
      if (opt->manifest.empty())
        throw Error("--dataset is required (except with --throughput-only)");
      if (!shard->empty()) {
        int i = 0, n = 0;
        char rest = 0;
        if (std::sscanf(shard->c_str(), "%d/%d%c", &i, &n, &rest) != 2 || n < 1 || i < 1 || i > n) {
          throw Error("--shard '" + *shard + "': expected i/N with 1 <= i <= N, e.g. 2/4");
        }
        opt->shard_index = i;
        opt->shard_count = n;
      }
      opt->metrics = SplitList(*metrics);
      opt->probes = SplitList(*probes);
      opt->probe_options["arithmetic"] = {{"problems", arithmetic->problems},
                                          {"reprompt", arithmetic->reprompt},
                                          {"read_frames", arithmetic->read_frames},
                                          {"font_px", arithmetic->font_px}};
      opt->metric_options.clear();
      for (const auto& kv : *metric_opts) {
        const auto eq = kv.find('='), dot = kv.find('.');
        if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
          throw Error("--metric-option '" + kv + "': expected METRIC.KEY=VALUE, e.g. ocr.psm=6");
        }
        const std::string value = kv.substr(eq + 1);
        nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
        if (v.is_discarded()) v = value;
        opt->metric_options[kv.substr(0, dot)][kv.substr(dot + 1, eq - dot - 1)] = v;
      }
      if (*no_cache) opt->cache_dir.clear();
      opt->mode = *mode == "step" ? RolloutMode::kStep : RolloutMode::kRollout;
      opt->command_line = argv;
      InstallInterruptHandlers();  // Ctrl-C: write what finished, exit 130
      const auto report = RunEval(*opt, log);
      if (!*quiet) PrintSummary(std::cout, report);
      std::cout << "\nreport: " << opt->out_dir << "/report.json\n";
      if (!*no_html) {
        WriteHtmlReport(report, opt->out_dir, std::filesystem::path(opt->out_dir) / "report.html");
        if (!*quiet) std::cout << "html:   " << opt->out_dir << "/report.html\n";
      }
      const auto& sum = report["summary"];
      if (sum.value("interrupted", false)) {
        std::cerr << "ncbench: interrupted: the report holds the "
                  << sum["samples_total"].get<int64_t>() << " sample(s) that finished; "
                  << sum["samples_not_run"].get<int64_t>() << " did not run\n";
        return 130;
      }
      return sum["samples_failed"].get<int64_t>() > 0 || sum["probes_failed"].get<int64_t>() > 0
                 ? 3
                 : 0;
    };
  });
}

void AddMergeCommand(CLI::App& app, Runner* run, const std::vector<std::string>& argv) {
  auto* cmd = app.add_subcommand(
      "merge",
      "Join the reports of `eval --shard i/N` (i = 1..N) into the report of the whole run");
  auto opt = std::make_shared<MergeOptions>();
  auto quiet = std::make_shared<bool>(false);
  auto no_html = std::make_shared<bool>(false);
  cmd->add_option("SHARD", opt->shards,
                  "The shards' report.json files or output folders, in any order")
      ->required();
  cmd->add_option("--out", opt->out_dir,
                  "Output folder for the merged report.json, samples.jsonl and strips/")
      ->required();
  cmd->add_flag("--quiet", *quiet, "Print only the report path");
  cmd->add_flag("--no-html", *no_html, "Write report.json only, not report.html");
  cmd->callback([=] {
    *run = [=]() -> int {
      opt->command_line = argv;
      const auto report = MergeShards(*opt);
      if (!*quiet) PrintSummary(std::cout, report);
      std::cout << "\nreport: " << opt->out_dir << "/report.json\n";
      if (!*no_html) {
        WriteHtmlReport(report, opt->out_dir, std::filesystem::path(opt->out_dir) / "report.html");
        if (!*quiet) std::cout << "html:   " << opt->out_dir << "/report.html\n";
      }
      const auto& sum = report["summary"];
      return sum["samples_failed"].get<int64_t>() > 0 || sum["probes_failed"].get<int64_t>() > 0
                 ? 3
                 : 0;
    };
  });
}

}  // namespace ncb::cli
