// The ncbench.nc/1 contract: each broken rule gets its own clear error.
#include "bench/checkpoint/checkpoint.h"

#include <torch/types.h>

#include <cmath>
#include <functional>
#include <limits>
#include <tuple>

#include "bench/checkpoint/process_protocol.h"
#include "bench/checkpoint/reference_checkpoints.h"
#include "core/errors.h"
#include "core/frame.h"
#include "core/json_path.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

using test::TempDir;

const char* kSpec =
    R"({"contract": "ncbench.nc/1", "name": "t", "modality": "cli", "height": 16, "width": 24, "fps": 15, "action_dim": 0, "action_encoding": "none"})";

std::string WithRollout(const std::string& body) {
  return "def rollout(self, first_frame: Tensor, prompts: List[str], actions: Tensor, num_frames: "
         "int, seed: int) -> Tensor:\n    " +
         body + "\n";
}

RolloutRequest Request(int64_t b = 1, int64_t t = 3) {
  RolloutRequest r;
  for (int64_t i = 0; i < b; ++i) {
    r.ids.push_back("s" + std::to_string(i));
    r.prompts.push_back("p");
  }
  r.first_frame = torch::rand({b, 3, 16, 24});
  r.actions = torch::zeros({b, t, 0});
  r.num_frames = t;
  return r;
}

// Opens `source`+`spec` as a checkpoint and rolls it out; returns the error text or "".
std::string ErrorOf(const std::string& source, const std::optional<std::string>& spec) {
  TempDir tmp;
  const auto path = tmp / "c.pt";
  SaveScriptedCheckpoint("m", source, spec, path);
  try {
    auto ck = OpenCheckpoint(path.string(), torch::kCPU);
    auto stream = ck->Rollout(Request(), RolloutMode::kRollout);
    while (auto f = stream->Next()) {
      for (int64_t b = 0; b < f->size(0); ++b) {
        if (auto bad = ValidateFrame((*f)[b], 16, 24)) throw ContractError(*bad);
      }
    }
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Contract, StaticBaselineRollsOutAndStepsAlike) {
  TempDir tmp;
  NcSpec spec = NcSpec::FromJson(nlohmann::json::parse(kSpec), "test");
  WriteStaticBaseline(spec, tmp / "s.pt");
  auto ck = OpenCheckpoint("torchscript:" + (tmp / "s.pt").string(), torch::kCPU);
  EXPECT_TRUE(ck->can_step());
  EXPECT_EQ(ck->Describe()["sha256"].get<std::string>().size(), 64u);
  auto req = Request(2, 4);
  auto a = ck->Rollout(req, RolloutMode::kRollout);
  auto b = ck->Rollout(req, RolloutMode::kStep);
  int n = 0;
  while (auto fa = a->Next()) {
    auto fb = b->Next();
    ASSERT_TRUE(fb);
    EXPECT_TRUE(torch::equal(*fa, *fb));
    EXPECT_TRUE(torch::equal(*fa, req.first_frame));
    ++n;
  }
  EXPECT_EQ(n, 4);
  EXPECT_FALSE(b->Next());
}

TEST(Contract, ValidCheckpointHasNoError) {
  EXPECT_EQ(
      ErrorOf(WithRollout("return first_frame.unsqueeze(1).repeat(1, num_frames, 1, 1, 1)"), kSpec),
      "");
}

TEST(Contract, MissingSpecFile) {
  EXPECT_NE(ErrorOf(WithRollout("return first_frame"), std::nullopt)
                .find("has no extra file nc_spec.json"),
            std::string::npos);
}

TEST(Contract, MissingSpecField) {
  auto spec = nlohmann::json::parse(kSpec);
  spec.erase("fps");
  EXPECT_NE(ErrorOf(WithRollout("return first_frame"), spec.dump())
                .find("nc_spec.json has no field \"fps\""),
            std::string::npos);
  spec = nlohmann::json::parse(kSpec);
  spec["modality"] = "tv";
  EXPECT_NE(ErrorOf(WithRollout("return first_frame"), spec.dump())
                .find("field \"modality\": expected \"cli\" or \"gui\""),
            std::string::npos);
  spec = nlohmann::json::parse(kSpec);
  spec["contract"] = "ncbench.nc/0";
  EXPECT_NE(ErrorOf(WithRollout("return first_frame"), spec.dump()).find("field \"contract\""),
            std::string::npos);
}

TEST(Contract, MissingRolloutMethod) {
  EXPECT_NE(ErrorOf("def forward(self, x: Tensor) -> Tensor:\n    return x\n", kSpec)
                .find("has no method rollout(first_frame, prompts, actions, num_frames, seed)"),
            std::string::npos);
}

TEST(Contract, OnlyInitWithoutStep) {
  EXPECT_NE(ErrorOf(WithRollout("return first_frame") +
                        "def init(self, first_frame: Tensor, prompts: List[str], seed: int) -> "
                        "Tensor:\n    return first_frame\n",
                    kSpec)
                .find("only one of init/step"),
            std::string::npos);
}

TEST(Contract, WrongShape) {
  EXPECT_NE(ErrorOf(WithRollout("return first_frame"), kSpec)
                .find("rollout returned shape [1, 3, 16, 24]; expected [1, 3, 3, 16, 24]"),
            std::string::npos);
}

TEST(Contract, WrongResolution) {
  EXPECT_NE(ErrorOf(WithRollout("return torch.zeros(1, num_frames, 3, 8, 8)"), kSpec)
                .find("expected [1, 3, 3, 16, 24]"),
            std::string::npos);
}

TEST(Contract, WrongDtype) {
  EXPECT_NE(ErrorOf(WithRollout(
                        "return first_frame.unsqueeze(1).repeat(1, num_frames, 1, 1, 1).double()"),
                    kSpec)
                .find("dtype is Double; expected float32"),
            std::string::npos);
}

TEST(Contract, ValuesOutsideUnitRange) {
  EXPECT_NE(
      ErrorOf(WithRollout("return first_frame.unsqueeze(1).repeat(1, num_frames, 1, 1, 1) * 255"),
              kSpec)
          .find("expected [0, 1]"),
      std::string::npos);
}

TEST(Contract, NanFrames) {
  EXPECT_NE(
      ErrorOf(WithRollout("return torch.full([1, num_frames, 3, 16, 24], float('nan'))"), kSpec)
          .find("NaN or Inf"),
      std::string::npos);
}

// Every kind of bad value, one at a time and anywhere in the frame (the check is one pass).
TEST(Contract, ValidateFrameNamesEachBadValue) {
  const auto good = torch::rand({3, 16, 24});
  EXPECT_FALSE(ValidateFrame(good, 16, 24));
  const double inf = std::numeric_limits<double>::infinity();
  for (const double v : {std::nan(""), inf, -inf}) {
    for (const auto& [c, y, x] : {std::tuple{0, 0, 0}, {1, 7, 11}, {2, 15, 23}}) {
      auto f = good.clone();
      f[c][y][x] = v;
      const auto why = ValidateFrame(f, 16, 24);
      ASSERT_TRUE(why) << v << " at " << c << "," << y << "," << x;
      EXPECT_EQ(*why, "1 values are NaN or Inf; expected finite values");
    }
  }
  auto f = good.clone();
  f[2][15][23] = 1.5;
  ASSERT_TRUE(ValidateFrame(f, 16, 24));
  EXPECT_NE(ValidateFrame(f, 16, 24)->find(", 1.5]; expected [0, 1]"), std::string::npos);
  f = good.clone();
  f[0][0][0] = -0.25;
  ASSERT_TRUE(ValidateFrame(f, 16, 24));
  EXPECT_NE(ValidateFrame(f, 16, 24)->find("values span [-0.25, "), std::string::npos);
  f = good.clone();
  f[0][0][0] = 1.0 + 1e-7;  // within the tolerance
  EXPECT_FALSE(ValidateFrame(f, 16, 24));
}

TEST(Contract, ModelThatRaises) {
  EXPECT_NE(ErrorOf(WithRollout("assert num_frames < 0, 'boom'\n    return first_frame"), kSpec)
                .find("rollout raised"),
            std::string::npos);
}

TEST(Contract, MissingFileAndUnknownAdapter) {
  EXPECT_THROW(OpenCheckpoint("/nonexistent/model.pt", torch::kCPU), MissingError);
  EXPECT_THROW(OpenCheckpoint("onnx:model.onnx", torch::kCPU), Error);
}

// ncbench.nc-process/1's messages (docs/checkpoints.md#process), parsed without a server.
const char* kProcSpec =
    R"({"contract": "ncbench.nc/1", "name": "m", "modality": "cli", "height": 8, "width": 8,
                        "fps": 15, "action_dim": 0, "action_encoding": "none"})";

std::string ProtocolRefusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ProcessProtocol, TheHandshakeNamesModelFilesAndCarriesNoTensors) {
  const std::string head =
      std::string(R"({"protocol": "ncbench.nc-process/1", "spec": )") + kProcSpec;
  const auto h =
      ParseHandshake(head + R"(, "model_files": ["w/model.pt", "cfg.json"], "tensors": []})");
  EXPECT_EQ(h.model_files, (std::vector<std::string>{"w/model.pt", "cfg.json"}));
  EXPECT_TRUE(ParseHandshake(head + "}").model_files.empty());
  EXPECT_NE(
      ProtocolRefusal([&] {
        ParseHandshake(head + R"(, "tensors": [{"name": "x", "dtype": "float32", "shape": [1]}]})");
      }).find("field \"tensors\": the handshake carries no tensors"),
      std::string::npos);
  EXPECT_NE(ProtocolRefusal([&] {
              ParseHandshake(head + R"(, "model_files": "model.pt"})");
            }).find("field \"model_files\": expected an array of paths"),
            std::string::npos);
}

TEST(ProcessProtocol, ReplyTensorsMustCarryTheExpectedNames) {
  const TensorShapes want = {{"frames", {1, 2, 3, 8, 8}}};
  const auto reply = [](const std::string& name) {
    return nlohmann::json::parse(R"({"ok": true, "tensors": [{"name": ")" + name +
                                 R"(", "dtype": "float32", "shape": [1, 2, 3, 8, 8]}]})");
  };
  EXPECT_NO_THROW(CheckReply(reply("frames"), "rollout", want));
  EXPECT_NE(ProtocolRefusal([&] {
              CheckReply(reply("video"), "rollout", want);
            }).find("reply to rollout: tensor 0 is named \"video\"; expected \"frames\""),
            std::string::npos);
}

TEST(ProcessProtocol, FirstDifferenceNamesTheField) {
  const nlohmann::json a = {{"spec", {{"fps", 15}, {"name", "m"}}}, {"server", {{"v", 1}}}};
  nlohmann::json b = a;
  EXPECT_EQ(FirstDifference(a, b), "");
  b["spec"]["fps"] = 25;
  EXPECT_EQ(FirstDifference(a, b), "spec.fps: 15 vs 25");
  b = a;
  b["server"]["device"] = "cuda";
  EXPECT_EQ(FirstDifference(a, b), "server.device: (absent) vs \"cuda\"");
}

// A number read back from a file (unsigned) equals the same number made in memory (signed); a
// whole float equals its integer. Only other values differ.
TEST(JsonPath, NumbersCompareByValue) {
  const nlohmann::json made = {{"h", int64_t{180}}, {"fps", 15}};
  const auto read = nlohmann::json::parse(R"({"h": 180, "fps": 15.0})");
  EXPECT_EQ(DifferencePath(read, made), "");
  EXPECT_EQ(DifferencePath(nlohmann::json::parse(R"({"h": 181, "fps": 15})"), made), "h");
  EXPECT_EQ(DifferencePath(nlohmann::json::parse(R"({"h": "180", "fps": 15})"), made), "h");
}

}  // namespace
}  // namespace ncb
