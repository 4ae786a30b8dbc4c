#include <filesystem>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "bench/checkpoint/checkpoint.h"
#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/cli/commands.h"
#include "bench/train/latent_nc.h"
#include "core/errors.h"
#include "datasets/action_encoding.h"
#include "datasets/frame_source.h"
#include "datasets/manifest.h"
#include "metrics/cursor/cursor_detector.h"
#include "probes/arithmetic/calculator_checkpoint.h"

namespace ncb::cli {
namespace fs = std::filesystem;

namespace {

// static and calculator take the same spec options.
struct SpecArgs {
  std::string out, like;
  NcSpec spec;
};

void AddSpecOptions(CLI::App* sub, SpecArgs* a) {
  sub->add_option("--out", a->out, "Checkpoint file to write")->required();
  sub->add_option("--like", a->like,
                  "Take height, width and fps from this manifest's first sample");
  sub->add_option("--height", a->spec.height);
  sub->add_option("--width", a->spec.width);
  sub->add_option("--fps", a->spec.fps);
  sub->add_option("--name", a->spec.name)->capture_default_str();
}

// The spec the options give, sizes and rate taken from --like's first sample where not given.
NcSpec ResolveSpec(const SpecArgs& a) {
  NcSpec s = a.spec;
  if (!a.like.empty()) {
    const auto m = ReadManifest(a.like);
    if (m.samples.empty()) throw Error(At(a.like, "has no valid samples to take the size from"));
    FrameSourceOptions so;
    so.cast_fps = m.samples[0].fps.value_or(15.0);
    auto src = OpenFrameSource(m.samples[0].video, so);
    if (!s.height) s.height = src->height();
    if (!s.width) s.width = src->width();
    if (!(s.fps > 0)) s.fps = m.samples[0].fps.value_or(src->fps());
  }
  // Validate through the same parser checkpoints are read with.
  return NcSpec::FromJson(s.ToJson(), "--height/--width/--fps");
}

// checkpoints train-latent
void AddTrainLatentCommand(CLI::App* cmd, Runner* run) {
  auto* tr = cmd->add_subcommand(
      "train-latent",
      "Train the learned reference NC (a convolutional latent model) on recorded CLI clips");
  auto tr_opt = std::make_shared<LatentTrainOptions>();
  auto tr_out = std::make_shared<std::string>();
  tr->add_option("--dataset", tr_opt->manifest, "Manifest of the training clips")
      ->required()
      ->check(CLI::ExistingFile);
  tr->add_option("--out", *tr_out, "Folder for latent-step<N>.pt")->required();
  tr->add_option("--save-steps", tr_opt->save_steps,
                 "Steps to save (the largest is the training length)")
      ->delimiter(',')
      ->capture_default_str();
  tr->add_option("--channels", tr_opt->channels)->check(CLI::Range(1, 256))->capture_default_str();
  tr->add_option("--max-frames", tr_opt->max_frames, "Frames per clip per step")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  tr->add_option("--lr", tr_opt->learning_rate)->capture_default_str();
  tr->add_option("--seed", tr_opt->seed)->capture_default_str();
  tr->add_option("--threads", tr_opt->threads, "LibTorch threads (0: its default)")
      ->capture_default_str();
  tr->callback([=] {
    *run = [=] {
      LatentTrainOptions o = *tr_opt;
      o.out_dir = *tr_out;
      const auto r = TrainLatentNc(
          o, [](LogLevel, const std::string& msg) { std::cerr << "ncbench: " << msg << "\n"; });
      std::cout << "trained " << r.loss.size() << " steps in " << r.seconds << " s; loss "
                << (r.loss.empty() ? 0.0 : r.loss.front()) << " -> "
                << (r.loss.empty() ? 0.0 : r.loss.back()) << "\n";
      for (const auto& c : r.checkpoints) std::cout << "wrote " << c.string() << "\n";
      return 0;
    };
  });
}

// checkpoints static
void AddStaticCommand(CLI::App* cmd, Runner* run) {
  auto* st = cmd->add_subcommand("static", "Write the static baseline (repeats the first frame)");
  auto st_args = std::make_shared<SpecArgs>();
  st_args->spec.name = "static-baseline";
  st_args->spec.modality = "cli";
  AddSpecOptions(st, st_args.get());
  st->add_option("--modality", st_args->spec.modality)
      ->check(CLI::IsMember({"cli", "gui"}))
      ->capture_default_str();
  st->callback([=] {
    *run = [=] {
      const NcSpec s = ResolveSpec(*st_args);
      WriteStaticBaseline(s, st_args->out);
      std::cout << "wrote " << st_args->out << " (" << s.ToJson().dump() << ")\n";
      return 0;
    };
  });
}

// checkpoints cursor
void AddCursorCommand(CLI::App* cmd, Runner* run) {
  auto* cur = cmd->add_subcommand("cursor",
                                  "Write the GUI cursor reference (draws the recordings' arrow "
                                  "where the actions put the pointer, or "
                                  "with --ignore-actions at the centre)");
  auto cur_args = std::make_shared<SpecArgs>();
  auto cursors = std::make_shared<std::string>();
  auto sprite_name = std::make_shared<std::string>();
  auto ignore = std::make_shared<bool>(false);
  cur_args->spec.modality = "gui";
  cur_args->spec.name = "cursor";
  AddSpecOptions(cur, cur_args.get());
  cur->add_option("--cursors", *cursors,
                  "Cursor library (default: the --like manifest's cursors/)");
  cur->add_option("--sprite", *sprite_name,
                  "Sprite to draw (default: the library's default, the desktop arrow)");
  cur->add_flag("--ignore-actions", *ignore,
                "Keep the cursor at the centre whatever the actions say");
  cur->callback([=] {
    *run = [=] {
      NcSpec s = ResolveSpec(*cur_args);
      s.modality = "gui";
      s.action_encoding = kActionEncoding;
      s.action_dim = ActionDim();
      const fs::path dir = !cursors->empty() ? fs::path(*cursors)
                           : !cur_args->like.empty()
                               ? fs::path(cur_args->like).parent_path() / "cursors"
                               : throw Error("checkpoints cursor: give --cursors or --like");
      const auto lib = CursorLibrary::Load(dir);
      const std::string want = !sprite_name->empty() ? *sprite_name : lib.default_sprite;
      const CursorSprite* sp = &lib.sprites.front();
      for (const auto& c : lib.sprites) {
        if (c.name == want) sp = &c;
      }
      if (!want.empty() && sp->name != want)
        throw Error(At((dir / "cursors.json").string(), "has no sprite '" + want + "'"));
      const double scale = static_cast<double>(s.width) / lib.screen.width;
      cv::Mat sprite = sp->bgra;
      if (scale != 1.0) {
        cv::resize(sp->bgra, sprite, {}, scale, scale,
                   scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
      }
      if (*ignore && s.name == "cursor") s.name = "cursor-fixed";
      WriteCursorCheckpoint(s, sprite, sp->hotspot.x * scale, sp->hotspot.y * scale, *ignore,
                            cur_args->out);
      std::cout << "wrote " << cur_args->out << " (" << s.ToJson().dump() << "; sprite " << sp->name
                << ")\n";
      return 0;
    };
  });
}

// checkpoints calculator
void AddCalculatorCommand(CLI::App* cmd, Runner* run) {
  auto* calc = cmd->add_subcommand(
      "calculator",
      "Write the arithmetic probe's known-answer checkpoint (draws the right, or with "
      "--wrong a wrong, result of the prompt's expression)");
  auto calc_args = std::make_shared<SpecArgs>();
  auto wrong = std::make_shared<bool>(false);
  auto font_px = std::make_shared<int>(0);
  calc_args->spec.modality = "cli";
  calc_args->spec.name = "calculator";
  AddSpecOptions(calc, calc_args.get());
  calc->add_flag("--wrong", *wrong, "Draw a wrong answer (last digit changed)");
  auto look = std::make_shared<std::string>("auto");
  calc->add_option("--probe-font-px", *font_px, "Font of the probe screen (0: about 24 rows)")
      ->capture_default_str();
  calc->add_option("--probe-look", *look,
                   "The probe screen's look, as eval's --probe-look (auto, plain, cligen-clean "
                   "or a tape)")
      ->capture_default_str();
  calc->callback([=] {
    *run = [=] {
      NcSpec s = ResolveSpec(*calc_args);
      if (*wrong && s.name == "calculator") s.name = "calculator-wrong";
      WriteCalculatorCheckpoint(s, *wrong, *font_px, "catppuccin-mocha", calc_args->out, *look);
      std::cout << "wrote " << calc_args->out << " (" << s.ToJson().dump() << ")\n";
      return 0;
    };
  });
}

// checkpoints inspect
void AddInspectCommand(CLI::App* cmd, Runner* run) {
  auto* in = cmd->add_subcommand("inspect", "Load a checkpoint and print its spec and methods");
  auto path = std::make_shared<std::string>();
  in->add_option("CHECKPOINT", *path)->required();
  in->callback([=] {
    *run = [=] {
      auto ck = OpenCheckpoint(*path, torch::kCPU);
      std::cout << ck->Describe().dump(2) << "\n";
      return 0;
    };
  });
}

}  // namespace

void AddCheckpointsCommand(CLI::App& app, Runner* run) {
  auto* cmd = app.add_subcommand("checkpoints", "Make reference checkpoints; inspect checkpoints");
  cmd->require_subcommand(1);
  AddTrainLatentCommand(cmd, run);
  AddStaticCommand(cmd, run);
  AddCursorCommand(cmd, run);
  AddCalculatorCommand(cmd, run);
  AddInspectCommand(cmd, run);
}

}  // namespace ncb::cli
