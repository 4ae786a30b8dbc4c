#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench/cli/commands.h"
#include "core/errors.h"
#include "datasets/frame_source.h"
#include "datasets/manifest.h"
#include "datasets/record/gui_recorder.h"
#include "datasets/record/recorder.h"
#include "datasets/vhs_import.h"

namespace ncb::cli {
namespace fs = std::filesystem;

namespace {

// datasets import-vhs
void AddImportVhsCommand(CLI::App* cmd, Runner* run) {
  auto* imp =
      cmd->add_subcommand("import-vhs", "Write a manifest for a folder of vhs tapes + videos");
  auto dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  imp->add_option("DIR", *dir, "Folder of .tape files and their videos")
      ->required()
      ->check(CLI::ExistingDirectory);
  imp->add_option("--out", *out, "Manifest to write")->required();
  imp->callback([=] {
    *run = [=] {
      const auto samples = ImportVhsFolder(*dir, *out, [](LogLevel, const std::string& m) {
        std::cerr << "ncbench: warning: " << m << "\n";
      });
      std::cout << "wrote " << *out << ": " << samples.size() << " samples\n";
      return 0;
    };
  });
}

// datasets record
void AddRecordCommand(CLI::App* cmd, Runner* run) {
  auto* rec = cmd->add_subcommand("record",
                                  "Play tapes against a real shell; write casts, frames, manifest");
  auto tapes = std::make_shared<std::vector<std::string>>();
  auto rec_out = std::make_shared<std::string>();
  auto record = std::make_shared<RecordOptions>();
  auto render = std::make_shared<RenderOptions>();
  auto fps = std::make_shared<double>(15.0);
  rec->add_option("TAPES", *tapes, "Tape files")->required()->check(CLI::ExistingFile);
  rec->add_option("--out", *rec_out, "Output folder")->required();
  rec->add_option("--rows", record->rows)->capture_default_str();
  rec->add_option("--cols", record->cols)->capture_default_str();
  rec->add_option("--fps", *fps, "Frame rate of the rendered ground truth")->capture_default_str();
  rec->add_option("--font-px", render->font_px)->capture_default_str();
  rec->add_option("--theme", render->theme, "catppuccin-mocha | xterm")->capture_default_str();
  rec->callback([=] {
    *run = [=] {
      std::vector<fs::path> paths(tapes->begin(), tapes->end());
      const auto samples = RecordDataset(paths, *rec_out, *fps, *record, *render);
      std::cout << "recorded " << samples.size() << " samples into " << *rec_out
                << "/manifest.jsonl\n";
      return 0;
    };
  });
}

// datasets record-gui
void AddRecordGuiCommand(CLI::App* cmd, Runner* run) {
  auto* gui = cmd->add_subcommand("record-gui",
                                  "Play .gui scripts on a fresh Xvfb desktop; write frames, "
                                  "CSV/JSON logs, cursor sprites, manifest");
  auto scripts = std::make_shared<std::vector<std::string>>();
  auto gui_out = std::make_shared<std::string>();
  auto gui_opts = std::make_shared<GuiRecordOptions>();
  gui->add_option("SCRIPTS", *scripts, ".gui script files")->required()->check(CLI::ExistingFile);
  gui->add_option("--out", *gui_out, "Output folder")->required();
  gui->add_option("--width", gui_opts->width)->capture_default_str();
  gui->add_option("--height", gui_opts->height)->capture_default_str();
  gui->add_option("--fps", gui_opts->fps)->capture_default_str();
  gui->add_option("--settle-ms", gui_opts->settle_ms,
                  "Wait after each frame's input before the grab")
      ->capture_default_str();
  gui->add_option("--window-manager", gui_opts->window_manager,
                  "Window manager program (empty: none)")
      ->capture_default_str();
  gui->add_flag("--no-cursor", gui_opts->hide_cursor,
                "Write frames without the pointer (logs unchanged): frames on which a cursor "
                "detector must find nothing");
  gui->add_option("--launch-timeout", gui_opts->launch_timeout_s,
                  "Seconds to wait for Xvfb, the window manager and each launched program's window")
      ->capture_default_str();
  gui->callback([=] {
    *run = [=] {
      std::vector<fs::path> paths(scripts->begin(), scripts->end());
      const auto samples = RecordGuiDataset(paths, *gui_out, *gui_opts);
      std::cout << "recorded " << samples.size() << " GUI samples into " << *gui_out
                << "/manifest.jsonl\n";
      return 0;
    };
  });
}

// datasets render
void AddRenderCommand(CLI::App* cmd, Runner* run) {
  auto* ren =
      cmd->add_subcommand("render", "Render an asciinema cast to PNG frames and screen text");
  auto cast = std::make_shared<std::string>();
  auto ren_out = std::make_shared<std::string>();
  auto ren_opts = std::make_shared<RenderOptions>();
  auto ren_fps = std::make_shared<double>(15.0);
  ren->add_option("CAST", *cast)->required()->check(CLI::ExistingFile);
  ren->add_option("--out", *ren_out, "Output folder")->required();
  ren->add_option("--fps", *ren_fps)->capture_default_str();
  ren->add_option("--font-px", ren_opts->font_px)->capture_default_str();
  ren->add_option("--theme", ren_opts->theme)->capture_default_str();
  ren->callback([=] {
    *run = [=] {
      const auto clip =
          RenderCastToFrames(*cast, *ren_fps, *ren_opts, fs::path(*ren_out) / "frames",
                             fs::path(*ren_out) / "text.jsonl");
      std::cout << "rendered " << clip.frames << " frames of " << clip.width << "x" << clip.height
                << " into " << *ren_out << "\n";
      return 0;
    };
  });
}

}  // namespace

void AddDatasetsCommand(CLI::App& app, Runner* run) {
  auto* cmd = app.add_subcommand("datasets", "Import, record and render held-out datasets");
  cmd->require_subcommand(1);
  AddImportVhsCommand(cmd, run);
  AddRecordCommand(cmd, run);
  AddRecordGuiCommand(cmd, run);
  AddRenderCommand(cmd, run);
}

}  // namespace ncb::cli
