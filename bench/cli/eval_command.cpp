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

// The console summary and report.html of an eval or merge report, and where they went.
void ShowReport(const RunReport& report, const std::string& out_dir, bool quiet, bool no_html) {
  const nlohmann::json j = report.ToJson();
  if (!quiet) PrintSummary(std::cout, j);
  std::cout << "\nreport: " << out_dir << "/report.json\n";
  if (!no_html) {
    WriteHtmlReport(j, out_dir, std::filesystem::path(out_dir) / "report.html");
    if (!quiet) std::cout << "html:   " << out_dir << "/report.html\n";
  }
}

// What `eval`'s flags fill: the run's options in place, the rest parsed when it runs.
struct EvalArgs {
  EvalOptions opt;
  std::string metrics = "psnr,ssim", mode = "rollout", probes, shard, batch_sizes = "1,2,4";
  std::vector<std::string> metric_opts;
  bool quiet = false, no_cache = false, no_html = false, tput_only = false;
  ArithmeticProbeOptions arithmetic;
  ThroughputOptions tput;
};

// What is scored: checkpoint, dataset, metrics, probes (one option per line, in --help order).
void AddScoringOptions(CLI::App* cmd, const std::shared_ptr<EvalArgs>& a) {
  a->opt.cache_dir = DefaultCacheDir();
  cmd->add_option("--checkpoint", a->opt.checkpoint,
                  "torchscript:PATH, videos:DIR, process:'COMMAND ARGS' (a model server, "
                  "docs/checkpoints.md), or a path (file: TorchScript, folder: videos)")
      ->required();
  cmd->add_option("--dataset", a->opt.manifest,
                  "Manifest (JSONL) of the held-out samples (with --throughput-only: optional, its "
                  "first sample's first frame and prompt)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--metrics", a->metrics, "Comma-separated metrics. " + MetricHelp())
      ->capture_default_str();
  cmd->add_option("--metric-option", a->metric_opts,
                  "METRIC.KEY=VALUE, repeatable; VALUE is JSON or a bare string (e.g. ocr.psm=6, "
                  "ocr.gt_source=buffer, ocr.threads=1). A non-default value of an option marked "
                  "'in the name' changes the numbers and is appended to the metric's reported "
                  "name (docs/report.md). " +
                      MetricOptionHelp());
  cmd->add_option("--baselines", a->opt.baselines,
                  "static: every metric is also scored on the conditioning frame repeated (no "
                  "model call), and each key K gains K_static and the skill K_skill (K_gain in "
                  "dB); none: no baseline (docs/report.md#baselines-and-skill)")
      ->check(CLI::IsMember({"static", "none"}))
      ->capture_default_str();
  cmd->add_option("--cache-dir", a->opt.cache_dir, "Folder for the ground-truth OCR cache")
      ->capture_default_str();
  cmd->add_flag("--no-cache", a->no_cache, "Neither read nor write on-disk caches");
  cmd->add_option(
      "--probes", a->probes, "Comma-separated probes (" + [] {
        std::string names;
        for (const auto& n : ProbeNames()) names += (names.empty() ? "" : ", ") + n;
        return names;
      }() + ")");
  cmd->add_option("--pool", a->arithmetic.pool,
                  "Arithmetic probe: nc-release (the paper's released problems) or "
                  "ncbench-balanced")
      ->check(CLI::IsMember(ArithmeticPoolNames()))
      ->capture_default_str();
  cmd->add_option("--problems", a->arithmetic.problems,
                  "Arithmetic probe: problems drawn from the pool of 1000 (nc-release: evenly "
                  "spaced, keeping its category mix)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--reprompt", a->arithmetic.reprompt,
                "Arithmetic probe: also run the re-prompted variant (\"The answer is <value>.\")");
  cmd->add_flag("--counterfactual-captions", a->arithmetic.counterfactual,
                "Arithmetic probe: also run each problem with another problem's caption, graded "
                "against its own: a model that reads its caption loses its accuracy");
  cmd->add_option("--probe-read-frames", a->arithmetic.read_frames,
                  "Arithmetic probe: last frames OCR'd for the answer")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--probe-font-px", a->arithmetic.font_px,
                  "Arithmetic probe: font of the first frame (0: about 24 rows; look plain)")
      ->capture_default_str();
  cmd->add_option("--probe-look", a->arithmetic.look,
                  "Arithmetic probe: the screen's look: auto (cligen-clean for 1600x900 "
                  "frames, else plain), plain, cligen-clean, or a tape whose Set lines give it")
      ->capture_default_str();
}

// How the run goes: output, device, seed, batching, alignment, shards, resume, timing.
void AddRunOptions(CLI::App* cmd, const std::shared_ptr<EvalArgs>& a) {
  cmd->add_option("--out", a->opt.out_dir, "Output folder for report.json and samples.jsonl")
      ->required();
  cmd->add_option("--device", a->opt.device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--seed", a->opt.seed, "Run seed (each sample: seed + fnv1a(id))")
      ->capture_default_str();
  cmd->add_option("--batch-size", a->opt.batch_size, "Samples per rollout call (equal length)")
      ->capture_default_str();
  cmd->add_option("--mode", a->mode,
                  "rollout (one rollout() call per batch) | step (init(), then one step() per "
                  "frame; the checkpoint must offer both)")
      ->check(CLI::IsMember({"rollout", "step"}))
      ->capture_default_str();
  cmd->add_option("--caption-style", a->opt.align.caption_style, "semantic | regular | detailed")
      ->capture_default_str();
  cmd->add_option("--resize", a->opt.align.resize,
                  "Ground-truth resize policy: stretch (area down, bilinear up), none (refuse), or "
                  "letterbox (fit, black bars; the GUI cursor follows)")
      ->check(CLI::IsMember({"area-down/bilinear-up", "none", "letterbox"}))
      ->capture_default_str();
  cmd->add_option("--max-frames", a->opt.align.max_frames, "Cap on frames per sample (0: all)")
      ->capture_default_str();
  cmd->add_option("--max-samples", a->opt.max_samples, "Cap on samples (0: all)")
      ->capture_default_str();
  cmd->add_option("--shard", a->shard,
                  "i/N: score only the samples j (manifest order) with j mod N = i-1; join the N "
                  "reports with `ncbench merge`");
  cmd->add_option("--font-px", a->opt.align.render.font_px,
                  "Terminal font size for .cast ground truth")
      ->capture_default_str();
  cmd->add_flag("--fail-fast", a->opt.fail_fast, "Stop at the first failed sample");
  cmd->add_flag("--resume", a->opt.resume,
                "Keep the samples OUT/samples.jsonl holds from an earlier run of the same "
                "configuration (killed or "
                "interrupted) and score only the rest; failed samples are tried again");
  cmd->add_option("--bootstrap", a->opt.bootstrap.replicates,
                  "Bootstrap replicates for the aggregates' 95% intervals (0: none)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option(
         "--strip-frames", a->opt.strip_frames,
         "Frames per sample in the report's ground-truth/generated/difference strips (0: none)")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  cmd->add_option("--threads", a->opt.threads,
                  "LibTorch intra-op threads (0: LibTorch's default, the physical cores)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--warmup-steps", a->opt.warmup_steps,
                  "step() calls at the start of the run left out of the latency percentiles")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  cmd->add_flag(
      "--no-pipeline", [a](int64_t) { a->opt.pipeline = false; },
      "Decode ground truth and score in turn with each model step instead of during it");
  cmd->add_option("--process-timeout", a->opt.checkpoint_options.process_timeout_s,
                  "process: checkpoints: seconds to wait for the server's handshake or one reply")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option(
         "--metric-batch", a->opt.metric_batch,
         "Samples per call of PSNR, SSIM and LPIPS (0: the whole batch on CUDA, 1 on the CPU)")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
}

// --throughput-only and the console output flags.
void AddThroughputOptions(CLI::App* cmd, const std::shared_ptr<EvalArgs>& a) {
  cmd->add_flag("--throughput-only", a->tput_only,
                "Measure the checkpoint's rollout speed (frames/s and latency vs batch size) "
                "without ground truth");
  cmd->add_option("--batch-sizes", a->batch_sizes, "--throughput-only: batch sizes to sweep")
      ->capture_default_str();
  cmd->add_option("--frames", a->tput.frames, "--throughput-only: frames per rollout")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--repeats", a->tput.repeats,
                  "--throughput-only: timed rollouts per batch size and mode")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--quiet", a->quiet, "Print only the report path");
  cmd->add_flag("--no-html", a->no_html, "Write report.json only, not report.html");
}

int RunThroughputOnly(EvalArgs* a, const std::vector<std::string>& argv, const Logger& log) {
  a->tput.checkpoint = a->opt.checkpoint;
  a->tput.manifest = a->opt.manifest;
  a->tput.device = a->opt.device;
  a->tput.seed = a->opt.seed;
  a->tput.threads = a->opt.threads;
  a->tput.checkpoint_options = a->opt.checkpoint_options;
  a->tput.out_dir = a->opt.out_dir;
  a->tput.command_line = argv;
  a->tput.batch_sizes.clear();
  for (const auto& b : SplitList(a->batch_sizes)) {
    try {
      a->tput.batch_sizes.push_back(std::stoi(b));
    } catch (const std::exception&) {
      throw Error("--batch-sizes: '" + b + "' is not an integer");
    }
  }
  const RunReport report = RunThroughput(a->tput, log);
  if (!a->quiet) std::cout << ThroughputTable(report.ToJson());
  std::cout << "\nreport: " << a->opt.out_dir << "/report.json\n";
  return report.ExitCode();
}

int RunEvalArgs(EvalArgs* a, const std::vector<std::string>& argv, const Logger& log) {
  if (a->opt.manifest.empty()) throw Error("--dataset is required (except with --throughput-only)");
  if (!a->shard.empty()) {
    int i = 0, n = 0;
    char rest = 0;
    if (std::sscanf(a->shard.c_str(), "%d/%d%c", &i, &n, &rest) != 2 || n < 1 || i < 1 || i > n) {
      throw Error("--shard '" + a->shard + "': expected i/N with 1 <= i <= N, e.g. 2/4");
    }
    a->opt.shard_index = i;
    a->opt.shard_count = n;
  }
  a->opt.metrics = SplitList(a->metrics);
  a->opt.probes = SplitList(a->probes);
  a->opt.probe_options["arithmetic"] = {{"pool", a->arithmetic.pool},
                                        {"problems", a->arithmetic.problems},
                                        {"reprompt", a->arithmetic.reprompt},
                                        {"counterfactual", a->arithmetic.counterfactual},
                                        {"read_frames", a->arithmetic.read_frames},
                                        {"font_px", a->arithmetic.font_px},
                                        {"look", a->arithmetic.look}};
  a->opt.metric_options.clear();
  for (const auto& kv : a->metric_opts) {
    const auto eq = kv.find('='), dot = kv.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq) {
      throw Error("--metric-option '" + kv + "': expected METRIC.KEY=VALUE, e.g. ocr.psm=6");
    }
    const std::string value = kv.substr(eq + 1);
    nlohmann::json v = nlohmann::json::parse(value, nullptr, false);
    if (v.is_discarded()) v = value;
    a->opt.metric_options[kv.substr(0, dot)][kv.substr(dot + 1, eq - dot - 1)] = v;
  }
  if (a->no_cache) a->opt.cache_dir.clear();
  a->opt.mode = a->mode == "step" ? RolloutMode::kStep : RolloutMode::kRollout;
  a->opt.command_line = argv;
  InstallInterruptHandlers();  // Ctrl-C: write what finished, exit 130
  const RunReport report = RunEval(a->opt, log);
  ShowReport(report, a->opt.out_dir, a->quiet, a->no_html);
  if (report.summary.interrupted) {
    std::cerr << "ncbench: interrupted: the report holds the " << report.summary.samples_total
              << " sample(s) that finished; " << report.summary.samples_not_run << " did not run\n";
  }
  return report.ExitCode();
}

}  // namespace

void AddEvalCommand(CLI::App& app, Runner* run, const std::vector<std::string>& argv) {
  auto* cmd = app.add_subcommand("eval", "Roll a checkpoint out over a dataset and score it");
  auto a = std::make_shared<EvalArgs>();
  AddScoringOptions(cmd, a);
  AddRunOptions(cmd, a);
  AddThroughputOptions(cmd, a);
  *run = nullptr;
  cmd->callback([=] {
    *run = [=]() -> int {
      Logger log = [q = a->quiet](LogLevel level, const std::string& msg) {
        if (!q && level != LogLevel::kDebug) std::cerr << "ncbench: " << msg << "\n";
      };
      return a->tput_only ? RunThroughputOnly(a.get(), argv, log) : RunEvalArgs(a.get(), argv, log);
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
      const RunReport report = MergeShards(*opt);
      ShowReport(report, opt->out_dir, *quiet, *no_html);
      return report.ExitCode();
    };
  });
}

}  // namespace ncb::cli
