// Finding the mouse cursor in a frame by template matching.
//
// The templates are the cursor sprites of the recordings (the GUI recorder's cursors/ folder:
// BGRA PNGs and cursors.json with each sprite's hotspot and the screen size). Each sprite is
// matched in grey levels over its opaque pixels (alpha > 250: the body and outline, not the
// translucent shadow, whose colour depends on what is under it) at a few scales around frame
// width / screen width; the best place over all sprites and scales wins.
//
// Speed: the masked sum of squared differences sum M (T - I)^2 = sum M I^2 - 2 sum (M T) I +
// sum M T^2 is two correlations, computed with the FFT: the frame's I and I^2 are transformed
// once per frame, each template's M and M*T once at construction, and each template then costs
// one inverse transform (the two products are summed in the frequency domain). That is 4x
// faster than cv::matchTemplate's masked TM_SQDIFF, which transforms the frame again for every
// template and term. A coarse-to-fine search at half size was tried and dropped: a sprite at
// an odd offset straddles the 2x2 blocks, and over busy windows its coarse score lost to other
// places (the ceiling on the recordings fell from 100% to 72%).
// Its confidence is 1 - RMS difference / 255 over those pixels (1: an exact copy; above 0.999
// in float32); below `min_confidence` the outcome is "not found". The reported point is the
// sprite's hotspot (the arrow's tip), which is what the logged X, Y are.
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ncb {

struct CursorSprite {
  std::string name;
  cv::Mat bgra;         // straight alpha
  cv::Point2d hotspot;  // pixels from the sprite's top-left
};

struct CursorLibrary {
  std::filesystem::path dir;
  cv::Size screen;  // the recordings' screen size
  std::vector<CursorSprite> sprites;
  std::string default_sprite;  // the desktop's arrow ("default" in cursors.json), may be empty
  // Reads DIR/cursors.json and its PNGs; MissingError when absent, FormatError naming the
  // file and field when malformed.
  static CursorLibrary Load(const std::filesystem::path& dir);
};

struct CursorDetection {
  cv::Point2d hotspot;  // in frame pixels
  double confidence = 0;
  std::string sprite;
  double scale = 1;
};

class CursorDetector {
 public:
  // `scales`: multipliers of frame_width / screen width to search.
  CursorDetector(const CursorLibrary& library, cv::Size frame, std::vector<double> scales,
                 double min_confidence);
  // The best match, or nullopt when none reaches min_confidence. `bgr`: 8-bit, the frame size.
  std::optional<CursorDetection> Detect(const cv::Mat& bgr) const;

 private:
  struct Template {
    std::string sprite;
    double scale;
    cv::Size size;
    cv::Mat mask_spectrum, masked_spectrum;  // DFT of M and of M*T at the padded size
    double energy = 0;                       // sum M T^2
    double opaque = 0;                       // pixels under the mask
    cv::Point2d hotspot;
  };
  std::vector<Template> templates_;
  cv::Size frame_, padded_;
  double min_confidence_;
};

}  // namespace ncb
