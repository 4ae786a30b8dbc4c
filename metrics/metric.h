// The metric interface (after libvmaf's feature extractors).
//
// A metric is a descriptor (MetricInfo) plus a per-worker instance that scores frame pairs
// of one sample at a time. Everything a dataset aggregate needs is kept as sufficient
// statistics in a MetricState: named sums that merge by addition, so shards of a run merge
// exactly (associative, commutative) and round-trip through JSON.
//
// Frames are float32 RGB [N,3,H,W] in [0,1] on the device the run uses.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ncb {

// How a view reads one key a metric writes into its aggregate and its samples' scores: the
// report carries these (config.metrics[].outputs), so the console summary, HTML, compare and
// table code know no metric by name.
struct OutputKey {
  // The key ("samples_with_psnr"), or "*SUFFIX" for every key ending in SUFFIX ("*_cer").
  // Nested aggregate keys are matched by their last part. A metric's main keys (its name,
  // NAME_frame_mean, ...) need no entry: they take the metric's unit and direction.
  std::string key;
  std::string kind;       // "count" (an integer: no interval, no best mark), "note" (text),
                          // "data" (of the ground truth alone: no direction, no baseline), or
                          // a quantity: "ratio", "dB", "px", "distance"
  std::string direction;  // "higher_is_better" | "lower_is_better" | "" (counts, notes)
  // The per-sample score that ranks samples in the HTML report (the first metric's wins).
  bool primary = false;
};

// A figure the HTML report draws from a metric's data, declared by the metric.
struct OutputView {
  // "histogram": metric_states[NAME][key] (an array of per-bin counts) as a bar chart;
  // "frame_texts": scores[key] of each sample ([{index, gt_text, gen_text, char_accuracy}]) as
  // side-by-side texts, and their char_accuracy by frame index as a line plot.
  std::string kind;
  std::string key;
  std::string title;
  std::string unit;  // of a histogram's bins
};

// One option of a metric (libvmaf's VmafOption): the table each metric declares beside its
// factory. `--metric-option` values are checked against it (a known key, the JSON type), and
// the options whose non-default values change the numbers name the metric, by one rule for
// every metric (NameSuffix).
struct MetricOption {
  std::string key;
  std::string type;              // "number", "integer", "boolean", "string", "array" (numbers)
  nlohmann::json default_value;  // null: found at run time (a weights path, the core count)
  bool names_metric = false;     // a non-default value changes the numbers
  std::string help;
};

// The suffix of a metric's reported name: for each option of `table` that names the metric
// and whose value in `values` differs from its default, in table order, "_" + the value for a
// string ("lpips_alex", "ocr_buffer"), "_" + the key for a true boolean ("ssim_float64"),
// "_" + key + value for a number ("ocr_k3", "psnr_data_range255"), and for an array "_" + key +
// its values joined by "-" ("cursor_scales1-2").
std::string NameSuffix(const nlohmann::json& values, const std::vector<MetricOption>& table);

// Throws Error naming the metric for a key outside `table` (listing the known ones) or a value
// of another JSON type than the table's.
void CheckOptions(const std::string& metric, const nlohmann::json& options,
                  const std::vector<MetricOption>& table);

struct MetricInfo {
  std::string name;       // stable snake_case; non-default options are appended
  int version = 1;        // bumped whenever numbers can change
  std::string unit;       // "dB", "" ...
  std::string direction;  // "higher_is_better" | "lower_is_better"
  std::string scope;      // "frame" | "clip" | "distribution"
  std::string reference;  // the implementation it matches, with version
};

struct MetricState {
  std::map<std::string, double> sums;
  // Vector-valued sums (FVD's feature sums and second moments), merged elementwise.
  std::map<std::string, std::vector<double>> arrays;

  double Get(const std::string& key) const {
    auto it = sums.find(key);
    return it == sums.end() ? 0.0 : it->second;
  }
  void Add(const std::string& key, double v) { sums[key] += v; }
  // Adds `v` elementwise to the array `key`; throws Error when the lengths differ.
  void AddArray(const std::string& key, const std::vector<double>& v);
  void Merge(const MetricState& other) {
    for (const auto& [k, v] : other.sums) sums[k] += v;
    for (const auto& [k, v] : other.arrays) AddArray(k, v);
  }
  // One JSON object: numbers for sums, arrays for arrays (17 significant digits: exact).
  nlohmann::json ToJson() const;
  static MetricState FromJson(const nlohmann::json& j);
};

// What the run tells every metric instance (the same for all its samples).
struct MetricEnv {
  std::string dataset_id;             // sha256 of the manifest: per-dataset caches
  std::filesystem::path cache_dir;    // empty: no on-disk caches
  std::filesystem::path dataset_dir;  // the manifest's folder (e.g. its cursors/ library)
};

// The sample a metric instance is about to score.
struct SampleInfo {
  std::string id;
  int64_t num_frames = 0;  // T: frames k = 1..T will be observed
  // Times (seconds from frame 0) of the sample's click, scroll and key events, where its
  // action log has them; the frame rate of k. The action-window variants select by them.
  std::vector<double> event_times;
  double fps = 0;
  // GUI samples: the logged cursor of frames 0..T in the frames' pixels (nullopt where the
  // log has no position yet); empty for samples without a GUI log.
  std::vector<std::optional<std::pair<double, double>>> cursor;
  // The frame that conditions the model ([3,H,W], the run's device): ground-truth frame 0, or
  // the manifest's first_frame image. The static baseline repeats it.
  torch::Tensor conditioning;
  // The counterfactual probe's pass: the cursor path of the log the model was given (another
  // sample's, frames 0..T); empty otherwise.
  std::vector<std::optional<std::pair<double, double>>> given_cursor;
};

// Side information of the frames passed to ObserveFrames.
struct FrameContext {
  int64_t first_index = 1;  // k of the first frame passed
  // The ground truth's true screen text per frame, where the dataset has it (casts, or a
  // manifest's "screen_text"); empty or nullopt otherwise.
  std::vector<std::optional<std::string>> screen_text;
};

class Metric {
 public:
  virtual ~Metric() = default;
  virtual const MetricInfo& info() const = 0;
  // Every option with its value, defaults included, for the report.
  virtual nlohmann::json options() const = 0;
  // The keys of options() that never change a number: where a file or folder lies when its
  // content is named by a hash elsewhere in options(), how many threads. `compare` skips them,
  // so two checkouts' reports of the same run compare (config.metrics[].incidental_options).
  virtual std::vector<std::string> incidental_options() const { return {}; }
  // How frames are prepared before scoring, where a reader needs it to reproduce the number
  // (FVD: clip rule, input rounding, resize, crop, normalisation); null otherwise. The report
  // keeps it under config.metrics[].preprocessing.
  virtual nlohmann::json preprocessing() const { return nullptr; }
  // Its output keys other than the main ones, and the figures it asks the HTML report for
  // (OutputKey, OutputView); what every metric writes (samples, frames, ...) is added by
  // DescribeOutputs.
  virtual std::vector<OutputKey> outputs() const { return {}; }
  virtual std::vector<OutputView> views() const { return {}; }

  virtual void BeginSample(const SampleInfo& sample) = 0;
  // Scores N frame pairs of the current sample; returns one JSON object per frame, e.g.
  // {"psnr": 31.2} or {"psnr": null, "psnr_null_reason": "..."} ({} for frames a metric skips).
  virtual std::vector<nlohmann::json> ObserveFrames(const torch::Tensor& generated,
                                                    const torch::Tensor& ground_truth,
                                                    const FrameContext& context) = 0;
  // Metrics whose per-frame score is a pure function of the frame pair (PSNR, SSIM, LPIPS)
  // score the same frame of every sample of a batch in one kernel call, on the run's device.
  virtual bool batchable() const { return false; }
  // Scores with LibTorch kernels on the run's device (on CUDA with --device cuda); false: on
  // the host whatever the device (Tesseract, OpenCV template matching).
  virtual bool device_kernels() const { return false; }
  // The keys measured against the logged cursor (SampleInfo::cursor), as suffixes ("_hit_rate"):
  // the counterfactual probe also scores a rollout's on the log it was given. Empty: the
  // metric does not read the log.
  virtual std::vector<std::string> cursor_log_keys() const { return {}; }
  // For batchable metrics, called on instances[0]: scores gen[i] against gt[i] into
  // instances[i] (one per sample, all made by the same factory as this one) and returns
  // frame i's JSON. Throws before any instance's state changes, so a caller can fall back
  // to one ObserveFrames per sample to find which sample the error belongs to.
  virtual std::vector<nlohmann::json> ObserveAcross(const std::vector<Metric*>& instances,
                                                    const torch::Tensor& generated,
                                                    const torch::Tensor& ground_truth);
  // Closes the sample: returns its scores and folds them into state().
  virtual nlohmann::json EndSample() = 0;
  // Distribution-level metrics (scope "distribution": FVD) keep no per-sample state in the
  // report (FVD's is D(D+1)/2 numbers a side). For --resume, samples.jsonl keeps instead what
  // the last EndSample folded in, compactly (FVD: the two clips' feature vectors), and
  // StateOfSample turns that back into the state it added. Others: null, and an Error.
  virtual nlohmann::json LastSample() const { return nullptr; }
  virtual MetricState StateOfSample(const nlohmann::json& kept) const;
  virtual const MetricState& state() const = 0;
  // Dataset aggregates from (possibly merged) sufficient statistics.
  virtual nlohmann::json Finalize(const MetricState& state) const = 0;
};

// config.metrics[].outputs and .views of the report: the metric's own descriptors and the
// counts every metric writes (samples, frames, samples_excluded, *_frames).
nlohmann::json DescribeOutputs(const Metric& metric);
nlohmann::json DescribeViews(const Metric& metric);

// The metrics ncbench knows (registry.cpp), and a factory. Unknown names or bad options
// throw Error listing what is accepted.
std::vector<std::string> MetricNames();
// Every metric name `--metrics` accepts, with the variants (NAME_all, NAME+W), for --help.
std::string MetricHelp();
std::unique_ptr<Metric> CreateMetric(const std::string& name, const nlohmann::json& options = {},
                                     const MetricEnv& env = {});

// The option table of the metric `name` (a registry name: psnr, ocr, ...), and every metric's
// options in words for --help ("ocr: k (integer, 5; names the metric), ...").
const std::vector<MetricOption>& MetricOptionTable(const std::string& name);
std::string MetricOptionHelp();

// A value that may be undefined: writes {key: v} or {key: null, key_null_reason: why}.
void PutScore(nlohmann::json* out, const std::string& key, double value, bool defined,
              const std::string& null_reason);
// A mean or a pooled rate: writes numerator / denominator, or null with `null_reason` when
// the denominator is not positive.
void PutRatio(nlohmann::json* out, const std::string& key, double numerator, double denominator,
              const std::string& null_reason);

}  // namespace ncb
