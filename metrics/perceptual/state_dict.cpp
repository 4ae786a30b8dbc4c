#include "metrics/perceptual/state_dict.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "core/errors.h"

// LibTorch 1.13's own Unpickler reads the pickles TorchScript writes, not all of what
// torch.save writes (no SETITEM, no Python-2 strings, LONG1 only of 8 bytes, and a top-level
// OrderedDict becomes None), so state_dicts are read by the small pickle machine below. It
// knows the opcodes of protocols 0-5 that describe plain data and the four globals a
// state_dict uses (OrderedDict, the typed storages, _rebuild_tensor_v2, _rebuild_parameter);
// anything else is a FormatError naming the file and the byte.

namespace ncb {
namespace {

std::vector<char> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingError(path.string() + ": cannot open the weight file");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct StorageRef {
  std::string key;
  torch::ScalarType dtype;
  int64_t numel;
};
struct TensorRef {
  StorageRef storage;
  int64_t offset;
  std::vector<int64_t> sizes, strides;
};
struct Value {
  enum Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kStr,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  } kind;
  int64_t i = 0;
  double f = 0;
  std::string s;                // kStr; kGlobal: "module.name"
  std::vector<ValuePtr> items;  // kTuple, kList; kDict: key, value, key, value ...
  StorageRef storage;
  TensorRef tensor;
};
ValuePtr Make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

torch::ScalarType StorageType(const std::string& global, const std::string& file) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool}};
  auto it = types.find(global);
  if (it == types.end()) throw FormatError(file + ": unsupported storage type " + global);
  return it->second;
}

class PickleMachine {
 public:
  PickleMachine(const char* data, size_t size, size_t pos, std::string file)
      : d_(data), size_(size), pos_(pos), file_(std::move(file)) {}
  size_t pos() const { return pos_; }

  ValuePtr Run() {
    stack_.clear();
    marks_.clear();
    memo_.clear();
    while (true) {
      const size_t at = pos_;
      const auto op = static_cast<unsigned char>(Uint(1));
      if (op == '.') return Pop(at);  // STOP
      if (!PushConstant(op) && !BuildContainer(op, at) && !MemoGlobalOrCall(op, at))
        Fail(at, "unsupported pickle opcode " + std::to_string(op));
    }
  }
  const std::map<std::string, StorageRef>& storages() const { return storages_; }
  void Skip(uint64_t n) {
    Need(n);
    pos_ += n;
  }
  uint64_t Uint(size_t n) {
    Need(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(d_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }

 private:
  // The framing opcodes and those that push a constant (None, bool, int, float, string); false
  // for any other opcode.
  bool PushConstant(unsigned char op) {
    switch (op) {
      case 0x80:
        Uint(1);
        break;  // PROTO
      case 0x95:
        Uint(8);
        break;  // FRAME
      case 'N':
        stack_.push_back(Make(Value::kNone));
        break;
      case 0x88:
      case 0x89: {
        auto v = Make(Value::kBool);
        v->i = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'K':
        PushInt(static_cast<int64_t>(Uint(1)));
        break;
      case 'M':
        PushInt(static_cast<int64_t>(Uint(2)));
        break;
      case 'J':
        PushInt(static_cast<int32_t>(Uint(4)));
        break;
      case 0x8a: {  // LONG1
        const auto n = Uint(1);
        if (n > 8) {
          PushStr(Bytes(n));
          break;
        }  // wider than 64 bits: kept as raw bytes
        const uint64_t v = n == 0 ? 0 : Uint(n);
        const bool negative = n > 0 && n < 8 && ((v >> (8 * n - 1)) & 1);
        PushInt(static_cast<int64_t>(negative ? v | (~uint64_t{0} << (8 * n)) : v));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        uint64_t b = 0;
        for (int i = 0; i < 8; ++i) b = (b << 8) | static_cast<unsigned char>(Bytes(1)[0]);
        auto v = Make(Value::kFloat);
        std::memcpy(&v->f, &b, 8);
        stack_.push_back(v);
        break;
      }
      case 'U':
      case 0x8c:
      case 'C':
        PushStr(Bytes(Uint(1)));
        break;
      case 'T':
      case 'X':
      case 'B':
        PushStr(Bytes(Uint(4)));
        break;
      case 0x8d:
      case 0x8e:
        PushStr(Bytes(Uint(8)));
        break;
      default:
        return false;
    }
    return true;
  }

  // MARK and the opcodes that build or fill tuples, lists and dicts; false for any other opcode.
  bool BuildContainer(unsigned char op, size_t at) {
    switch (op) {
      case '(':
        marks_.push_back(stack_.size());
        break;  // MARK
      case ')':
        stack_.push_back(Make(Value::kTuple));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        auto t = Make(Value::kTuple);
        t->items.resize(op - 0x84);
        for (auto it = t->items.rbegin(); it != t->items.rend(); ++it) *it = Pop(at);
        stack_.push_back(t);
        break;
      }
      case 't': {
        auto t = Make(Value::kTuple);
        t->items = PopMark(at);
        stack_.push_back(t);
        break;
      }
      case ']':
        stack_.push_back(Make(Value::kList));
        break;
      case 'l': {
        auto t = Make(Value::kList);
        t->items = PopMark(at);
        stack_.push_back(t);
        break;
      }
      case '}':
        stack_.push_back(Make(Value::kDict));
        break;
      case 'd': {
        auto t = Make(Value::kDict);
        t->items = PopMark(at);
        stack_.push_back(t);
        break;
      }
      case 'a': {
        auto v = Pop(at);
        Expect(Top(at), Value::kList, at)->items.push_back(v);
        break;
      }
      case 'e': {
        auto vs = PopMark(at);
        auto& l = Expect(Top(at), Value::kList, at)->items;
        l.insert(l.end(), vs.begin(), vs.end());
        break;
      }
      case 's': {
        auto v = Pop(at), k = Pop(at);
        auto& m = Expect(Top(at), Value::kDict, at)->items;
        m.push_back(k);
        m.push_back(v);
        break;
      }
      case 'u': {
        auto vs = PopMark(at);
        auto& m = Expect(Top(at), Value::kDict, at)->items;
        m.insert(m.end(), vs.begin(), vs.end());
        break;
      }
      default:
        return false;
    }
    return true;
  }

  // Globals, the memo, persistent ids (the storages), REDUCE and BUILD; false for any other
  // opcode.
  bool MemoGlobalOrCall(unsigned char op, size_t at) {
    switch (op) {
      case 'c': {  // GLOBAL
        auto v = Make(Value::kGlobal);
        const std::string module = Line();
        v->s = module + "." + Line();
        stack_.push_back(v);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = Pop(at), module = Pop(at);
        auto v = Make(Value::kGlobal);
        v->s = module->s + "." + name->s;
        stack_.push_back(v);
        break;
      }
      case 'q':
        memo_[Uint(1)] = Top(at);
        break;
      case 'r':
        memo_[Uint(4)] = Top(at);
        break;
      case 0x94:
        memo_[memo_.size()] = Top(at);
        break;
      case 'h':
        stack_.push_back(Memo(Uint(1), at));
        break;
      case 'j':
        stack_.push_back(Memo(Uint(4), at));
        break;
      case 'Q': {  // BINPERSID: ('storage', storage type, key, location, numel[, view])
        auto pid = Expect(Pop(at), Value::kTuple, at);
        if (pid->items.size() < 5 || pid->items[0]->s != "storage")
          Fail(at, "an unknown persistent id");
        if (pid->items.size() > 5 && pid->items[5]->kind != Value::kNone)
          Fail(at, "a storage view (unsupported)");
        auto v = Make(Value::kStorage);
        v->storage = {pid->items[2]->s, StorageType(pid->items[1]->s, file_), pid->items[4]->i};
        if (v->storage.numel < 0) Fail(at, "a negative storage size");
        storages_[v->storage.key] = v->storage;
        stack_.push_back(v);
        break;
      }
      case 'R': {
        auto args = Expect(Pop(at), Value::kTuple, at);
        stack_.push_back(Call(Pop(at), *args, at));
        break;
      }
      case 'b':
        Pop(at);
        break;  // BUILD: the state of an OrderedDict (its _metadata) is dropped
      default:
        return false;
    }
    return true;
  }
  [[noreturn]] void Fail(size_t at, const std::string& what) const {
    throw FormatError(file_ + ": byte " + std::to_string(at) + ": " + what);
  }
  void Need(size_t n) const {
    if (n > size_ - pos_) throw FormatError(file_ + ": truncated at byte " + std::to_string(pos_));
  }
  std::string Bytes(uint64_t n) {
    Need(n);
    std::string s(d_ + pos_, n);
    pos_ += n;
    return s;
  }
  std::string Line() {
    const size_t start = pos_;
    while (true) {
      Need(1);
      if (d_[pos_++] == '\n') return std::string(d_ + start, pos_ - start - 1);
    }
  }
  void PushInt(int64_t i) {
    auto v = Make(Value::kInt);
    v->i = i;
    stack_.push_back(v);
  }
  void PushStr(std::string s) {
    auto v = Make(Value::kStr);
    v->s = std::move(s);
    stack_.push_back(v);
  }
  ValuePtr Top(size_t at) {
    if (stack_.empty()) Fail(at, "stack underflow");
    return stack_.back();
  }
  ValuePtr Pop(size_t at) {
    auto v = Top(at);
    stack_.pop_back();
    return v;
  }
  ValuePtr Memo(uint64_t k, size_t at) {
    auto it = memo_.find(k);
    if (it == memo_.end()) Fail(at, "memo entry " + std::to_string(k) + " is not defined");
    return it->second;
  }
  std::vector<ValuePtr> PopMark(size_t at) {
    if (marks_.empty() || marks_.back() > stack_.size()) Fail(at, "no MARK");
    std::vector<ValuePtr> vs(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                             stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return vs;
  }
  ValuePtr Expect(ValuePtr v, Value::Kind k, size_t at) {
    if (v->kind != k) Fail(at, "unexpected value type");
    return v;
  }
  std::vector<int64_t> Ints(const ValuePtr& v, size_t at) {
    std::vector<int64_t> r;
    for (const auto& e : Expect(v, Value::kTuple, at)->items)
      r.push_back(Expect(e, Value::kInt, at)->i);
    return r;
  }
  ValuePtr Call(const ValuePtr& f, const Value& args, size_t at) {
    if (f->kind != Value::kGlobal) Fail(at, "REDUCE of a non-callable");
    if (f->s == "collections.OrderedDict") {  // OrderedDict() or, in older files, OrderedDict([[k,
                                              // v], ...])
      auto d = Make(Value::kDict);
      if (!args.items.empty()) {
        for (const auto& pair : Expect(args.items[0], Value::kList, at)->items) {
          if ((pair->kind != Value::kList && pair->kind != Value::kTuple) ||
              pair->items.size() != 2)
            Fail(at, "an OrderedDict item is not a pair");
          d->items.insert(d->items.end(), pair->items.begin(), pair->items.end());
        }
      }
      return d;
    }
    if (f->s == "torch._utils._rebuild_parameter" && !args.items.empty()) return args.items[0];
    if (f->s == "torch._utils._rebuild_tensor_v2" && args.items.size() >= 4) {
      auto t = Make(Value::kTensor);
      t->tensor = {Expect(args.items[0], Value::kStorage, at)->storage,
                   Expect(args.items[1], Value::kInt, at)->i, Ints(args.items[2], at),
                   Ints(args.items[3], at)};
      return t;
    }
    Fail(at, "unsupported global " + f->s);
  }

  const char* d_;
  size_t size_, pos_;
  std::string file_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, StorageRef> storages_;
};

// Builds the tensors of a parsed state_dict over storages given as key -> bytes.
std::map<std::string, torch::Tensor> Materialise(
    const ValuePtr& root, const std::map<std::string, torch::Tensor>& storages,
    const std::string& file) {
  if (root->kind != Value::kDict)
    throw FormatError(file + ": expected a state_dict (a dict of tensors)");
  std::map<std::string, torch::Tensor> out;
  for (size_t i = 0; i + 1 < root->items.size(); i += 2) {
    const auto& k = root->items[i];
    const auto& v = root->items[i + 1];
    if (k->kind != Value::kStr || v->kind != Value::kTensor) continue;  // e.g. "_metadata"
    const auto& t = v->tensor;
    auto found = storages.find(t.storage.key);
    if (found == storages.end())
      throw FormatError(file + ": tensor '" + k->s + "' uses storage '" + t.storage.key +
                        "', which the file lacks");
    const auto& s = found->second;
    int64_t extent = t.offset;  // the last element the view reaches, bounds-checked
    for (size_t d = 0; d < t.sizes.size() && d < t.strides.size(); ++d) {
      if (t.sizes[d] < 0 || t.strides[d] < 0)
        throw FormatError(file + ": tensor '" + k->s + "' has a negative size or stride");
      if (t.sizes[d] == 0) {
        extent = -1;
        break;
      }
      extent += (t.sizes[d] - 1) * t.strides[d];
    }
    if (t.sizes.size() != t.strides.size() || t.offset < 0 || extent >= s.numel()) {
      throw FormatError(file + ": tensor '" + k->s + "' reaches past its storage");
    }
    out[k->s] = s.as_strided(t.sizes, t.strides, t.offset).clone();
  }
  return out;
}

// Records are read from the file as needed (the archive is never held whole in memory).
std::map<std::string, torch::Tensor> LoadZip(const std::string& file) {
  caffe2::serialize::PyTorchStreamReader reader(file);
  auto [pkl, size] = reader.getRecord("data.pkl");
  PickleMachine m(static_cast<const char*>(pkl.get()), size, 0, file);
  const auto root = m.Run();
  std::map<std::string, torch::Tensor> storages;
  for (const auto& [key, s] : m.storages()) {
    auto [ptr, bytes] = reader.getRecord("data/" + key);
    const size_t need = static_cast<size_t>(s.numel) * torch::elementSize(s.dtype);
    if (bytes < need)
      throw FormatError(file + ": storage data/" + key + " holds " + std::to_string(bytes) +
                        " bytes, expected " + std::to_string(need));
    storages[key] =
        torch::from_blob(ptr.get(), {s.numel}, torch::TensorOptions().dtype(s.dtype)).clone();
  }
  return Materialise(root, storages, file);
}

// The format before PyTorch 1.6: pickles of the magic number, the protocol version and
// sys_info, the object, the list of storage keys; then per key its element count (u64) and
// the raw little-endian elements.
std::map<std::string, torch::Tensor> LoadLegacy(const std::vector<char>& data,
                                                const std::string& file) {
  PickleMachine m(data.data(), data.size(), 0, file);
  // torch's magic number 0x1950a86a20f9469cfc6c, as LONG1's little-endian bytes.
  if (m.Run()->s != std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10)) {
    throw FormatError(file + ": not a torch.save() file (wrong magic number)");
  }
  m.Run();  // protocol version
  m.Run();  // sys_info
  const auto root = m.Run();
  const auto keys = m.Run();
  if (keys->kind != Value::kList) throw FormatError(file + ": the storage key list is missing");
  std::map<std::string, torch::Tensor> storages;
  for (const auto& k : keys->items) {
    auto it = m.storages().find(k->s);
    if (k->kind != Value::kStr || it == m.storages().end())
      throw FormatError(file + ": storage key '" + k->s + "' is not used by the object");
    const uint64_t n = m.Uint(8);
    const size_t es = torch::elementSize(it->second.dtype);
    if (n != static_cast<uint64_t>(it->second.numel))
      throw FormatError(file + ": storage '" + k->s + "' has " + std::to_string(n) +
                        " elements, the pickle says " + std::to_string(it->second.numel));
    if (n > (data.size() - m.pos()) / es)
      throw FormatError(file + ": storage '" + k->s + "' reaches past the end of the file");
    storages[k->s] =
        torch::from_blob(const_cast<char*>(data.data() + m.pos()), {static_cast<int64_t>(n)},
                         torch::TensorOptions().dtype(it->second.dtype))
            .clone();
    m.Skip(n * es);
  }
  return Materialise(root, storages, file);
}

}  // namespace

std::map<std::string, torch::Tensor> LoadStateDict(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MissingError(file + ": cannot open the weight file");
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0) {
    try {
      return LoadZip(file);
    } catch (const c10::Error& e) {
      throw FormatError(file +
                        ": cannot read the zip-format torch file: " + e.what_without_backtrace());
    }
  }
  if (in.gcount() >= 2 && static_cast<unsigned char>(magic[0]) == 0x80)
    return LoadLegacy(ReadFile(path), file);
  throw FormatError(file + ": not a torch.save() file (neither a zip archive nor a legacy pickle)");
}

}  // namespace ncb
