// The `videos` adapter: rollouts rendered by the model's own pipeline, one per sample id:
// DIR/<id>.mp4 (or .mkv/.webm/.avi/.mov/.gif) or DIR/<id>/ with numbered frames.
// Each clip starts with the conditioning frame (frame 0) like the ground truth, so the
// adapter yields frames 1..T; a DIR/nc_spec.json may say {"includes_first_frame": false}.
// fps and size come from DIR/nc_spec.json when present, else from the first clip.
#include <filesystem>
#include <fstream>

#include "bench/checkpoint/checkpoint.h"
#include "core/errors.h"
#include "core/frame.h"
#include "core/hashing.h"
#include "datasets/frame_source.h"

namespace ncb {
namespace fs = std::filesystem;
namespace {

class VideosCheckpoint : public Checkpoint {
 public:
  VideosCheckpoint(const std::string& dir, const torch::Device& device)
      : dir_(dir), device_(device) {
    if (!fs::is_directory(dir_)) throw MissingError(At(dir, "videos directory does not exist"));
    nlohmann::json given = nlohmann::json::object();
    if (fs::exists(dir_ / kSpecFile)) {
      std::ifstream in(dir_ / kSpecFile);
      try {
        given = nlohmann::json::parse(in);
      } catch (const std::exception& e) {
        throw ContractError(
            At((dir_ / kSpecFile).string(), std::string("not valid JSON: ") + e.what()));
      }
    }
    includes_first_ = given.value("includes_first_frame", true);
    // Fill what the folder's spec leaves out from the first clip.
    std::vector<fs::path> clips;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.is_directory() || IsVideoFile(e.path())) clips.push_back(e.path());
    }
    std::sort(clips.begin(), clips.end());
    nlohmann::json spec = {{"contract", kContract},
                           {"name", dir_.filename().string()},
                           {"modality", "cli"},
                           {"action_dim", 0},
                           {"action_encoding", "none"}};
    if (!given.contains("fps") || !given.contains("height") || !given.contains("width")) {
      if (clips.empty()) throw ContractError(At(dir, "holds no videos or frame folders"));
      auto first = OpenFrameSource(clips.front());
      spec["fps"] = first->fps();
      spec["height"] = first->height();
      spec["width"] = first->width();
    }
    for (const auto& [k, v] : given.items()) {
      if (k != "includes_first_frame") spec[k] = v;
    }
    spec_ = NcSpec::FromJson(spec, dir);
    sha256_ = Sha256Tree(dir_);
  }

  const NcSpec& spec() const override { return spec_; }
  int max_batch() const override { return 1; }
  std::string where() const override { return dir_.string(); }
  nlohmann::json Describe() const override {
    return {{"adapter", "videos"},
            {"path", dir_.string()},
            {"sha256", sha256_},
            {"spec", spec_.ToJson()},
            {"includes_first_frame", includes_first_}};
  }

  std::unique_ptr<FrameStream> Rollout(const RolloutRequest& r, RolloutMode) override;

 private:
  fs::path dir_;
  torch::Device device_;
  NcSpec spec_;
  bool includes_first_ = true;
  std::string sha256_;
};

class ClipStream : public FrameStream {
 public:
  ClipStream(std::unique_ptr<FrameSource> src, int64_t frames, const torch::Device& device,
             bool skip_first)
      : src_(std::move(src)), frames_(frames), device_(device) {
    cv::Mat skip;
    if (skip_first && !src_->Read(&skip)) {
      throw ContractError(At(src_->name(), "holds no frames"));
    }
  }
  std::optional<torch::Tensor> Next() override {
    if (t_ >= frames_) return std::nullopt;
    cv::Mat bgr;
    if (!src_->Read(&bgr)) {
      throw ContractError(At(src_->name(), "ends after " + std::to_string(t_) +
                                               " frames past the first; the ground truth needs " +
                                               std::to_string(frames_)));
    }
    ++t_;
    return MatToFrame(bgr, device_).unsqueeze(0);
  }
  std::string mode() const override { return "video"; }

 private:
  std::unique_ptr<FrameSource> src_;
  int64_t frames_;
  torch::Device device_;
  int64_t t_ = 0;
};

std::unique_ptr<FrameStream> VideosCheckpoint::Rollout(const RolloutRequest& r, RolloutMode) {
  NCB_CHECK(r.ids.size() == 1);
  const std::string& id = r.ids[0];
  fs::path clip;
  if (fs::is_directory(dir_ / id)) {
    clip = dir_ / id;
  } else {
    for (const char* ext : {".mp4", ".mkv", ".webm", ".avi", ".mov", ".gif"}) {
      if (fs::exists(dir_ / (id + ext))) {
        clip = dir_ / (id + ext);
        break;
      }
    }
  }
  if (clip.empty()) {
    throw MissingError(At(dir_.string(), "has no video or frame folder for sample '" + id + "'"));
  }
  auto src = OpenFrameSource(clip);
  if (std::abs(src->fps() - spec_.fps) > 1e-3) {
    throw ContractError(At(
        clip.string(),
        "runs at " + NumText(src->fps()) + " fps; the folder's spec says " + NumText(spec_.fps)));
  }
  if (src->height() != spec_.height || src->width() != spec_.width) {
    throw ContractError(
        At(clip.string(), "is " + std::to_string(src->width()) + "x" +
                              std::to_string(src->height()) + "; the folder's spec says " +
                              std::to_string(spec_.width) + "x" + std::to_string(spec_.height)));
  }
  return std::make_unique<ClipStream>(std::move(src), r.num_frames, device_, includes_first_);
}

}  // namespace

std::unique_ptr<Checkpoint> OpenVideosCheckpoint(const std::string& dir,
                                                 const torch::Device& device) {
  return std::make_unique<VideosCheckpoint>(dir, device);
}

}  // namespace ncb
