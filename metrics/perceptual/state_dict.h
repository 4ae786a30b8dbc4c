// Reading torch.save()d state_dicts without Python.
//
// Two on-disk formats exist: the zip archive torch.save writes since PyTorch 1.6 (read with
// LibTorch's own archive reader) and the legacy format before it (a sequence of pickles and
// the raw storages after them; the official LPIPS heads and older torchvision weights use it).
// Both are read by LibTorch's Unpickler; for legacy files the Python-2 string opcodes are
// rewritten to their unicode twins first, which LibTorch's Unpickler reads.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>

namespace ncb {

// name -> tensor (CPU, whatever device the file was saved from). Throws FormatError naming
// the file when it is neither format or is truncated, MissingError when it does not exist.
std::map<std::string, torch::Tensor> LoadStateDict(const std::filesystem::path& path);

}  // namespace ncb
