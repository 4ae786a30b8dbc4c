#include "bench/checkpoint/checkpoint.h"

#include <filesystem>

#include "core/errors.h"

namespace ncb {

std::unique_ptr<Checkpoint> OpenCheckpoint(const std::string& uri, const torch::Device& device,
                                           const CheckpointOptions& options) {
  const auto colon = uri.find(':');
  const std::string scheme = colon == std::string::npos ? "" : uri.substr(0, colon);
  if (scheme == "torchscript") return OpenTorchScriptCheckpoint(uri.substr(colon + 1), device);
  if (scheme == "videos") return OpenVideosCheckpoint(uri.substr(colon + 1), device);
  if (scheme == "process")
    return OpenProcessCheckpoint(uri.substr(colon + 1), device, options.process_timeout_s);
  if (!scheme.empty() && scheme.find('/') == std::string::npos && !std::filesystem::exists(uri)) {
    throw Error("checkpoint '" + uri + "': unknown adapter '" + scheme +
                "'; expected torchscript:PATH, videos:DIR or process:COMMAND");
  }
  if (!std::filesystem::exists(uri)) throw MissingError(At(uri, "checkpoint does not exist"));
  if (std::filesystem::is_directory(uri)) return OpenVideosCheckpoint(uri, device);
  return OpenTorchScriptCheckpoint(uri, device);
}

}  // namespace ncb
