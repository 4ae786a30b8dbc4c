// asciinema recordings (.cast): v2 (required), v1 and v3.
//
//  v1: one JSON object {version:1, width, height, stdout: [[delay, data], ...]}, delays relative.
//  v2: a header line {version:2, width, height, ...}, then one [time, code, data] per line,
//      times absolute in seconds.
//  v3: a header line {version:3, term:{cols, rows}, ...}, then [interval, code, data] per line,
//      intervals relative to the previous event.
// Events are normalised to absolute times. Errors name the file and line.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ncb {

struct CastEvent {
  double time = 0;   // seconds since the start
  std::string code;  // "o" output, "i" input, "r" resize ("COLSxROWS"), "m" marker
  std::string data;
};

struct Cast {
  int version = 2;
  int width = 80;       // columns
  int height = 24;      // rows
  double duration = 0;  // time of the last event
  nlohmann::json header;
  std::vector<CastEvent> events;
};

// Reads a cast; throws FormatError "<file>:<line>: ..." on any malformed content.
Cast ReadCast(const std::filesystem::path& path);
Cast ParseCast(std::istream& in, const std::string& name);

// Writes a v2 cast.
void WriteCast(const Cast& cast, const std::filesystem::path& path);

}  // namespace ncb
