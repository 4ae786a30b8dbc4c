#include <iostream>

#include "bench/checkpoint/checkpoint.h"
#include "bench/checkpoint/reference_checkpoints.h"
#include "bench/cli/commands.h"
#include "bench/core/errors.h"
#include "datasets/frame_source.h"
#include "datasets/manifest.h"

namespace ncb::cli {

void AddCheckpointsCommand(CLI::App& app, Runner* run) {
  auto* cmd = app.add_subcommand("checkpoints", "Make reference checkpoints; inspect checkpoints");
  cmd->require_subcommand(1);

  auto* st = cmd->add_subcommand("static", "Write the static baseline (repeats the first frame)");
  auto out = std::make_shared<std::string>();
  auto like = std::make_shared<std::string>();
  auto spec = std::make_shared<NcSpec>();
  spec->name = "static-baseline";
  spec->modality = "cli";
  st->add_option("--out", *out, "Checkpoint file to write")->required();
  st->add_option("--like", *like, "Take height, width and fps from this manifest's first sample");
  st->add_option("--height", spec->height);
  st->add_option("--width", spec->width);
  st->add_option("--fps", spec->fps);
  st->add_option("--name", spec->name)->capture_default_str();
  st->add_option("--modality", spec->modality)->check(CLI::IsMember({"cli", "gui"}))->capture_default_str();
  st->callback([=] {
    *run = [=] {
      NcSpec s = *spec;
      if (!like->empty()) {
        const auto m = ReadManifest(*like);
        if (m.samples.empty()) throw Error(At(*like, "has no valid samples to take the size from"));
        FrameSourceOptions so;
        so.cast_fps = m.samples[0].fps.value_or(15.0);
        auto src = OpenFrameSource(m.samples[0].video, so);
        if (!s.height) s.height = src->height();
        if (!s.width) s.width = src->width();
        if (!(s.fps > 0)) s.fps = m.samples[0].fps.value_or(src->fps());
      }
      // Validate through the same parser checkpoints are read with.
      s = NcSpec::FromJson(s.ToJson(), "--height/--width/--fps");
      WriteStaticBaseline(s, *out);
      std::cout << "wrote " << *out << " (" << s.ToJson().dump() << ")\n";
      return 0;
    };
  });

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

}  // namespace ncb::cli
