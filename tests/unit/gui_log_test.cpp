// GUI action logs (datasets/gui_log.h): the data engine's per-frame CSV and action JSON, and
// the errors bad logs get.
#include "datasets/gui_log.h"

#include <fstream>

#include "core/errors.h"
#include "tests/test_util.h"

namespace ncb {
namespace {

std::filesystem::path Write(const test::TempDir& tmp, const std::string& name,
                            const std::string& text) {
  std::ofstream(tmp / name) << text;
  return tmp / name;
}

std::string ErrorOf(const std::filesystem::path& p) {
  try {
    ReadGuiLog(p);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

TEST(GuiLog, ReadsThePerFrameCsv) {
  test::TempDir tmp;
  // Rows stamped (k+1)/fps at 15 fps; the keys cell holds commas, so it is quoted.
  const auto p = Write(
      tmp, "rec.csv",
      "Timestamp,Timestamp_formatted,X,Y,Left Click,Right Click,Key Events\n"
      "0.0667,0:066,10,20,False,False,[]\n"
      "0.1333,0:133,12,22,True,False,\"[('keydown', 'a'), ('keyup', 'a')]\"\n"
      "0.2000,0:200,12,22,False,True,\"[('scroll', 'down:3'), (\"\"keydown\"\", \"\"'\"\")]\"\n");
  const auto log = ReadGuiLog(p);
  EXPECT_NEAR(log.fps, 15.0, 0.01);
  std::vector<std::string> actions;
  for (const auto& e : log.events) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"mouse_move", "mouse_move", "left_click", "key_down",
                                               "key_up", "mouse_move", "right_click", "scroll",
                                               "key_down"}));
  EXPECT_EQ(log.events[3].key, "a");
  EXPECT_EQ(log.events[7].scroll_dy, 3.0);
  EXPECT_EQ(log.events[8].key, "'");
  EXPECT_EQ(log.events[2].x, 12.0);
  EXPECT_EQ(log.events[2].line, 3);
  // The +15 windows follow clicks, scrolls and key presses.
  EXPECT_EQ(GuiActionTimes(log), (std::vector<double>{0.1333, 0.1333, 0.2, 0.2, 0.2}));
}

TEST(GuiLog, ReadsTheActionJson) {
  test::TempDir tmp;
  const auto p = Write(tmp, "actions.json", R"({"metadata": {"fps": 15, "duration": 2.0},
    "actions": [{"timestamp": 0.1, "action": "mouse_move", "x": 5, "y": 6},
                {"timestamp": 0.5, "action": "lclick", "x": 100, "y": 200},
                {"timestamp": 0.9, "action": "type", "text": "hi"},
                {"timestamp": 1.2, "action": "scroll", "x": 1, "y": 2, "scroll_direction": "up", "scroll_amount": 2}]})");
  const auto log = ReadGuiLog(p);
  EXPECT_EQ(log.fps, 15.0);
  ASSERT_EQ(log.events.size(), 4u);
  EXPECT_EQ(log.events[1].action, "left_click");
  EXPECT_EQ(log.events[2].key, "hi");
  EXPECT_EQ(log.events[3].scroll_dy, -2.0);
  EXPECT_EQ(GuiActionTimes(log), (std::vector<double>{0.5, 0.9, 1.2}));
}

TEST(GuiLog, MalformedLogsNameFileLineAndColumn) {
  test::TempDir tmp;
  const std::string header = "Timestamp,X,Y,Left Click,Right Click,Keys\n";
  // A bad number.
  auto m =
      ErrorOf(Write(tmp, "a.csv", header + "0.1,10,20,False,False,[]\n0.2,1O,20,False,False,[]\n"));
  EXPECT_NE(m.find("a.csv:3: column 'X': expected a number, got '1O'"), std::string::npos) << m;
  // A missing column.
  m = ErrorOf(Write(tmp, "b.csv", "Timestamp,X,Left Click,Right Click\n0.1,1,False,False\n"));
  EXPECT_NE(m.find("b.csv:1: missing column 'Y'"), std::string::npos) << m;
  // A short row.
  m = ErrorOf(Write(tmp, "c.csv", header + "0.1,10,20\n"));
  EXPECT_NE(m.find("c.csv:2: column 'Left Click' is missing"), std::string::npos) << m;
  // Timestamps going backwards.
  m = ErrorOf(Write(tmp, "d.csv", header + "0.2,1,2,False,False,[]\n0.1,1,2,False,False,[]\n"));
  EXPECT_NE(m.find("d.csv:3: column 'Timestamp': 0.100000 goes backwards"), std::string::npos) << m;
  // A keys cell that is not a list of pairs, an unknown event, a bad boolean.
  m = ErrorOf(Write(tmp, "e.csv", header + "0.1,1,2,False,False,\"[('keydown')]\"\n"));
  EXPECT_NE(m.find("e.csv:2: column 'Keys'"), std::string::npos) << m;
  m = ErrorOf(Write(tmp, "f.csv", header + "0.1,1,2,False,False,\"[('press', 'a')]\"\n"));
  EXPECT_NE(m.find("unknown event 'press'"), std::string::npos) << m;
  m = ErrorOf(Write(tmp, "g.csv", header + "0.1,1,2,maybe,False,[]\n"));
  EXPECT_NE(m.find("column 'Left Click': expected True or False"), std::string::npos) << m;
  // JSON: wrong type, unknown action, backwards, no actions.
  m = ErrorOf(Write(tmp, "h.json", R"({"actions": [{"timestamp": "1", "action": "type"}]})"));
  EXPECT_NE(m.find("h.json: actions[0].timestamp: expected a number"), std::string::npos) << m;
  m = ErrorOf(Write(tmp, "i.json", R"({"actions": [{"timestamp": 1, "action": "teleport"}]})"));
  EXPECT_NE(m.find("actions[0].action: unknown action 'teleport'"), std::string::npos) << m;
  m = ErrorOf(Write(
      tmp, "j.json",
      R"({"actions": [{"timestamp": 2, "action": "key"}, {"timestamp": 1, "action": "key"}]})"));
  EXPECT_NE(m.find("actions[1].timestamp: timestamp 1.000000 goes backwards"), std::string::npos)
      << m;
  m = ErrorOf(Write(tmp, "k.json", R"({"metadata": {}})"));
  EXPECT_NE(m.find("expected an object with an \"actions\" array"), std::string::npos) << m;
  m = ErrorOf(Write(tmp, "l.csv", header + "0.1,1,2,False,False,\"[('keydown', 'a')]\n"));
  EXPECT_NE(m.find("l.csv:2: a quoted field is never closed"), std::string::npos) << m;
  EXPECT_THROW(ReadGuiLog(tmp / "m.txt"), FormatError);
  EXPECT_THROW(ReadGuiLog(tmp / "missing.csv"), MissingError);
}

}  // namespace
}  // namespace ncb
