// Frames and the conversions between OpenCV images and LibTorch tensors.
//
// A frame inside ncbench is a float32 tensor [3, H, W], RGB, values in [0, 1], on the
// device the metrics run on. Images from disk are 8-bit BGR cv::Mat; these helpers are the
// only place that converts between the two, so the colour order is fixed in one spot.
#pragma once

#include <torch/types.h>

#include <opencv2/core.hpp>
#include <optional>
#include <string>

namespace ncb {

// 8-bit BGR (or gray / BGRA) image -> float32 RGB [3,H,W] in [0,1] on `device`.
torch::Tensor MatToFrame(const cv::Mat& bgr, const torch::Device& device = torch::kCPU);

// float32 RGB [3,H,W] in [0,1] -> 8-bit BGR image (rounded, clamped), on the CPU.
cv::Mat FrameToMat(const torch::Tensor& frame);

// Resizes a frame to (height, width): area interpolation when shrinking, bilinear when
// growing (the explicit, recorded resize policy "area-down/bilinear-up").
torch::Tensor ResizeFrame(const torch::Tensor& frame, int height, int width);

// Describes what is wrong with a generated frame, or nullopt if it is a valid frame:
// float32, shape [3, height, width], finite, values within [0,1] (+-1e-6).
std::optional<std::string> ValidateFrame(const torch::Tensor& frame, int height, int width);

// The frame index of an event at `time` seconds in a clip at `fps`: round(time * fps + offset),
// ties to even, unclamped. With offset -1 it is the released GUIWorld loader's
// _timestamp_to_csv_frame_index, which both the action encoding and the action windows use.
int64_t TimeToFrame(double time, double fps, int64_t offset = -1);

}  // namespace ncb
