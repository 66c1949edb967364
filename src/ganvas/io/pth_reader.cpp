#include "ganvas/io/pth_reader.h"

#include "ganvas/core/error.h"
#include "ganvas/core/sha256.h"

#include <caffe2/serialize/versions.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <map>
#include <fstream>
#include <iterator>
#include <unordered_map>

namespace ganvas {
namespace fs = std::filesystem;

const PickleValue* PickleValue::get(const std::string& key) const {
    if (kind != Kind::Dict) return nullptr;
    for (const auto& [k, v] : entries) {
        if (k->kind == Kind::String && k->text == key) return v.get();
    }
    return nullptr;
}

namespace {

using Kind = PickleValue::Kind;

torch::Dtype storage_dtype(const std::string& global) {
    static const std::map<std::string, torch::Dtype> types = {
        {"torch.FloatStorage", torch::kFloat},   {"torch.DoubleStorage", torch::kDouble},
        {"torch.HalfStorage", torch::kHalf},     {"torch.BFloat16Storage", torch::kBFloat16},
        {"torch.LongStorage", torch::kLong},     {"torch.IntStorage", torch::kInt},
        {"torch.ShortStorage", torch::kShort},   {"torch.CharStorage", torch::kChar},
        {"torch.ByteStorage", torch::kByte},     {"torch.BoolStorage", torch::kBool}};
    auto it = types.find(global);
    if (it == types.end()) throw Error("storage type " + global + " is not supported");
    return it->second;
}

// The pickle stack machine, for the subset of protocol 2-5 that torch.save writes.
class Unpickler {
public:
    Unpickler(const uint8_t* data, size_t size, const PthRecords& zip)
        : p_(data), end_(data + size), begin_(data), zip_(zip) {}

    size_t consumed() const { return static_cast<size_t>(p_ - begin_); }

    PickleValuePtr run() {
        while (true) {
            const uint8_t op = byte();
            switch (op) {
                case 0x80: byte(); break;                  // PROTO
                case 0x95: skip(8); break;                 // FRAME
                case '.': return pop();                    // STOP (consumed() counts it)
                case '(':  // MARK
                    spend();
                    marks_.push_back(stack_.size());
                    break;
                case '}': push(make(Kind::Dict)); break;   // EMPTY_DICT
                case ']': push(make(Kind::List)); break;   // EMPTY_LIST
                case ')': push(make(Kind::Tuple)); break;  // EMPTY_TUPLE
                case 'N': push(make(Kind::None)); break;
                case 0x88: push(boolean(true)); break;     // NEWTRUE
                case 0x89: push(boolean(false)); break;    // NEWFALSE
                case 'K': push(integer(byte())); break;    // BININT1
                case 'M': push(integer(le<uint16_t>())); break;  // BININT2
                case 'J': push(integer(le<int32_t>())); break;   // BININT
                case 0x8a: push(integer(long_int(byte()))); break;         // LONG1
                case 0x8b: push(integer(long_int(le<uint32_t>()))); break;  // LONG4
                case 'G': push(real()); break;             // BINFLOAT
                case 'X': push(string(le<uint32_t>())); break;   // BINUNICODE
                case 0x8c: push(string(byte())); break;          // SHORT_BINUNICODE
                case 0x8d: push(string(le<uint64_t>())); break;  // BINUNICODE8
                case 'T': push(string(le<uint32_t>())); break;   // BINSTRING
                case 'U': push(string(byte())); break;           // SHORT_BINSTRING
                case 'q': remember(byte()); break;                // BINPUT
                case 'r': remember(le<uint32_t>()); break;        // LONG_BINPUT
                case 0x94: remember(static_cast<uint32_t>(memo_.size())); break;  // MEMOIZE
                case 'h': push(memo(byte())); break;             // BINGET
                case 'j': push(memo(le<uint32_t>())); break;     // LONG_BINGET
                case 't': push(sequence(Kind::Tuple, pop_to_mark())); break;  // TUPLE
                case 'l': push(sequence(Kind::List, pop_to_mark())); break;   // LIST
                case 0x85: tuple_of(1); break;
                case 0x86: tuple_of(2); break;
                case 0x87: tuple_of(3); break;
                case 'a': {  // APPEND
                    auto v = pop();
                    auto& list = mutable_top(Kind::List, "APPEND");
                    adopt(*list, *v);
                    list->items.push_back(v);
                    break;
                }
                case 'e': {  // APPENDS
                    auto vs = pop_to_mark();
                    auto& list = mutable_top(Kind::List, "APPENDS");
                    for (const auto& v : vs) adopt(*list, *v);
                    list->items.insert(list->items.end(), vs.begin(), vs.end());
                    break;
                }
                case 'd': push(dict_of(pop_to_mark())); break;  // DICT
                case 's': {  // SETITEM
                    auto v = pop();
                    auto k = pop();
                    auto& d = mutable_top(Kind::Dict, "SETITEM");
                    adopt(*d, *k);
                    adopt(*d, *v);
                    d->entries.emplace_back(k, v);
                    break;
                }
                case 'u': {  // SETITEMS
                    auto kv = pop_to_mark();
                    auto& d = mutable_top(Kind::Dict, "SETITEMS");
                    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
                        adopt(*d, *kv[i]);
                        adopt(*d, *kv[i + 1]);
                        d->entries.emplace_back(kv[i], kv[i + 1]);
                    }
                    break;
                }
                case 'c': {  // GLOBAL
                    auto module = line();
                    auto name = line();
                    auto g = make(Kind::Global);
                    g->text = module + "." + name;
                    push(g);
                    break;
                }
                case 0x93: {  // STACK_GLOBAL
                    auto name = pop();
                    auto module = pop();
                    auto g = make(Kind::Global);
                    g->text = module->text + "." + name->text;
                    push(g);
                    break;
                }
                case 'R': {  // REDUCE
                    auto args = pop();
                    auto callable = pop();
                    push(call(callable, args));
                    break;
                }
                case 0x81: {  // NEWOBJ
                    auto args = pop();
                    auto cls = pop();
                    push(call(cls, args));
                    break;
                }
                case 'b': {  // BUILD: object state (OrderedDict _metadata, __dict__ of objects)
                    auto state = pop();
                    if (top()->kind == Kind::Object) {
                        auto& object = mutable_top(Kind::Object, "BUILD");
                        adopt(*object, *state);
                        object->items.push_back(state);
                    }
                    break;
                }
                case 'Q': push(persistent_load(pop())); break;  // BINPERSID
                default:
                    throw Error(fmt::format("unsupported pickle opcode 0x{:02x} at byte {}", op, p_ - begin_ - 1));
            }
        }
    }

private:
    // Every value, memo entry and mark costs one unit of the file's budget.
    void spend() {
        if (++spent_ > kMaxPickleValues) {
            throw Error(fmt::format("the pickle holds more than {} values (refused as hostile)", kMaxPickleValues));
        }
    }
    PickleValuePtr make(Kind kind) {
        spend();
        auto v = std::make_shared<PickleValue>();
        v->kind = kind;
        return v;
    }
    static void check_depth(const PickleValue& v) {
        if (v.depth > kMaxPickleDepth) {
            throw Error(fmt::format("the pickle nests deeper than {} levels (refused as hostile)", kMaxPickleDepth));
        }
    }
    // `container` takes `child`: one level deeper than the child. A container on the stack was
    // never fetched from the memo, so nothing holds it yet and its depth stays exact.
    static void adopt(PickleValue& container, const PickleValue& child) {
        container.depth = std::max(container.depth, child.depth + 1);
        check_depth(container);
    }
    void remember(uint32_t key) {
        auto [it, inserted] = memo_.try_emplace(key, top());
        if (inserted) spend();
        else it->second = top();
    }
    // The top of the stack as a container that may still change: a value fetched from the memo
    // may not (that is how a list would come to contain itself).
    PickleValuePtr& mutable_top(Kind kind, const char* op) {
        auto& v = top();
        expect(v, kind, op);
        if (v->shared) throw Error(std::string("corrupt pickle: ") + op + " on a value fetched from the memo");
        return v;
    }
    uint8_t byte() {
        need(1);
        return *p_++;
    }
    void need(size_t n) {
        if (static_cast<size_t>(end_ - p_) < n) throw Error("the pickle ends early (truncated data.pkl)");
    }
    void skip(size_t n) {
        need(n);
        p_ += n;
    }
    template <typename T>
    T le() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, p_, sizeof(T));
        p_ += sizeof(T);
        return v;
    }
    int64_t long_int(size_t n) {
        need(n);
        if (n > 8) throw Error("integer wider than 64 bits in the pickle");
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
        if (n > 0 && n < 8 && (p_[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        p_ += n;
        return static_cast<int64_t>(v);
    }
    std::string line() {
        const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p_, '\n', end_ - p_));
        if (!nl) throw Error("the pickle ends inside a GLOBAL");
        std::string s(reinterpret_cast<const char*>(p_), nl - p_);
        p_ = nl + 1;
        return s;
    }
    PickleValuePtr boolean(bool b) {
        auto v = make(Kind::Bool);
        v->boolean = b;
        return v;
    }
    PickleValuePtr integer(int64_t i) {
        auto v = make(Kind::Int);
        v->integer = i;
        return v;
    }
    PickleValuePtr real() {
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p_[i];  // big-endian
        p_ += 8;
        double d;
        std::memcpy(&d, &bits, 8);
        auto v = make(Kind::Float);
        v->real = d;
        return v;
    }
    PickleValuePtr string(uint64_t n) {
        need(n);
        auto v = make(Kind::String);
        v->text.assign(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return v;
    }
    void push(PickleValuePtr v) { stack_.push_back(std::move(v)); }
    PickleValuePtr pop() {
        if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
            throw Error("corrupt pickle: stack underflow");
        }
        auto v = stack_.back();
        stack_.pop_back();
        return v;
    }
    PickleValuePtr& top() {
        if (stack_.empty()) throw Error("corrupt pickle: empty stack");
        return stack_.back();
    }
    std::vector<PickleValuePtr> pop_to_mark() {
        if (marks_.empty()) throw Error("corrupt pickle: no MARK");
        const size_t m = marks_.back();
        marks_.pop_back();
        std::vector<PickleValuePtr> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
        stack_.resize(m);
        return out;
    }
    PickleValuePtr memo(uint32_t key) {
        auto it = memo_.find(key);
        if (it == memo_.end()) throw Error("corrupt pickle: memo key " + std::to_string(key) + " unset");
        it->second->shared = true;
        return it->second;
    }
    PickleValuePtr sequence(Kind kind, std::vector<PickleValuePtr> items) {
        auto v = make(kind);
        for (const auto& item : items) adopt(*v, *item);
        v->items = std::move(items);
        return v;
    }
    void tuple_of(size_t n) {
        std::vector<PickleValuePtr> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(sequence(Kind::Tuple, std::move(items)));
    }
    PickleValuePtr dict_of(const std::vector<PickleValuePtr>& kv) {
        auto d = make(Kind::Dict);
        for (size_t i = 0; i + 1 < kv.size(); i += 2) {
            adopt(*d, *kv[i]);
            adopt(*d, *kv[i + 1]);
            d->entries.emplace_back(kv[i], kv[i + 1]);
        }
        return d;
    }
    static const PickleValuePtr& expect(const PickleValuePtr& v, Kind kind, const char* op) {
        if (v->kind != kind) throw Error(std::string("corrupt pickle: ") + op + " on the wrong kind of value");
        return v;
    }
    static int64_t as_int(const PickleValuePtr& v, const char* what) {
        if (v->kind == Kind::Int) return v->integer;
        if (v->kind == Kind::Bool) return v->boolean;
        throw Error(std::string("expected an integer for ") + what);
    }
    static std::vector<int64_t> int_list(const PickleValuePtr& v, const char* what) {
        if (v->kind != Kind::Tuple && v->kind != Kind::List) throw Error(std::string("expected a tuple for ") + what);
        std::vector<int64_t> out;
        for (const auto& i : v->items) out.push_back(as_int(i, what));
        return out;
    }

    PickleValuePtr call(const PickleValuePtr& callable, const PickleValuePtr& args) {
        const std::string& name = callable->text;
        const auto& a = args->items;
        if (callable->kind == Kind::Global) {
            if (name == "collections.OrderedDict") {
                auto d = make(Kind::Dict);
                return d;
            }
            if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
                if (a.size() < 4 || a[0]->kind != Kind::Tensor) throw Error("malformed _rebuild_tensor_v2 call");
                return rebuild_tensor(a[0]->tensor, as_int(a[1], "storage offset"), int_list(a[2], "size"),
                                      int_list(a[3], "stride"));
            }
            if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
                if (a.empty() || a[0]->kind != Kind::Tensor) throw Error("malformed _rebuild_parameter call");
                return a[0];
            }
            if (name == "torch._tensor._rebuild_from_type_v2") {
                if (a.size() < 3) throw Error("malformed _rebuild_from_type_v2 call");
                return call(a[0], a[2]);
            }
        }
        auto obj = make(Kind::Object);  // kept opaque
        obj->text = name;
        for (const auto& item : a) adopt(*obj, *item);
        obj->items = a;
        return obj;
    }

    PickleValuePtr rebuild_tensor(const torch::Tensor& storage, int64_t offset, const std::vector<int64_t>& size,
                                  const std::vector<int64_t>& stride) {
        if (size.size() != stride.size()) throw Error("tensor size and stride differ in length");
        if (size.size() > 64) throw Error("tensor of more than 64 dimensions");
        // The last element the view reaches, in 128 bits: 64-bit products of hostile sizes and
        // strides wrap around and would pass the check.
        __int128 last = offset;
        bool empty = false, negative = offset < 0;
        for (size_t i = 0; i < size.size(); ++i) {
            if (size[i] < 0 || stride[i] < 0) negative = true;
            if (size[i] == 0) empty = true;
            last += static_cast<__int128>(size[i] - (size[i] > 0 ? 1 : 0)) * stride[i];
        }
        if (negative || (!empty && last >= storage.numel())) {
            throw Error(fmt::format("tensor view (offset {}, size {}, stride {}) exceeds its storage of {} elements",
                                    offset, c10::str(size), c10::str(stride), storage.numel()));
        }
        auto v = make(Kind::Tensor);
        v->tensor = storage.as_strided(size, stride, offset);
        return v;
    }

    PickleValuePtr persistent_load(const PickleValuePtr& pid) {
        if (pid->kind != Kind::Tuple || pid->items.size() < 5 || pid->items[0]->text != "storage") {
            throw Error("unsupported persistent id in the pickle");
        }
        const std::string type = pid->items[1]->text;
        const std::string key = pid->items[2]->text;
        const int64_t numel = as_int(pid->items[4], "storage size");
        auto it = storages_.find(key);
        if (it == storages_.end()) {
            const torch::Dtype dtype = storage_dtype(type);
            const size_t item = c10::elementSize(dtype);
            if (numel < 0 || static_cast<uint64_t>(numel) > std::numeric_limits<uint64_t>::max() / item) {
                throw Error(fmt::format("storage {} declares {} elements", key, numel));
            }
            const uint64_t expected = static_cast<uint64_t>(numel) * item;
            const std::string data = zip_.storage(key, item, numel);
            const uint64_t bytes = data.size();
            if (bytes < expected) {
                throw Error(fmt::format("storage {} holds {} bytes, {} expected", key, bytes, expected));
            }
            auto t = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
            if (expected > 0) std::memcpy(t.data_ptr(), data.data(), expected);
            it = storages_.emplace(key, t).first;
        }
        auto v = make(Kind::Tensor);
        v->tensor = it->second;
        return v;
    }

    const uint8_t* p_;
    const uint8_t* end_;
    const uint8_t* begin_;
    const PthRecords& zip_;
    std::vector<PickleValuePtr> stack_;
    std::vector<size_t> marks_;
    std::unordered_map<uint32_t, PickleValuePtr> memo_;
    std::map<std::string, torch::Tensor> storages_;
    size_t spent_ = 0;
};

// Little-endian fields of the zip format.
uint64_t field(const std::vector<uint8_t>& b, size_t at, size_t width) {
    if (at + width > b.size()) throw Error("zip structure ends early");
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
    return v;
}

std::vector<uint8_t> read_at(std::ifstream& f, uint64_t offset, uint64_t size) {
    std::vector<uint8_t> b(size);
    f.seekg(static_cast<std::streamoff>(offset));
    f.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(size));
    if (static_cast<uint64_t>(f.gcount()) != size) throw Error("zip structure ends early");
    return b;
}

struct ZipRecord {
    uint64_t data = 0;  // offset of the record's bytes in the file
    uint64_t size = 0;
    uint32_t crc = 0;
};

// The archive's records, read from its central directory and checked before any is used: stored
// as torch.save stores them (not compressed: a deflated record would be inflated to whatever size
// it declares), header and data inside the file, all in one folder, with a version record of a
// format this LibTorch writes. Records are read on demand and their CRC-32 checked.
class ZipArchive final : public PthRecords {
public:
    explicit ZipArchive(const fs::path& path);
    bool has(const std::string& name) const override { return records_.count(name) > 0; }
    uint64_t size(const std::string& name) const { return has(name) ? records_.at(name).size : 0; }
    std::string get(const std::string& name) const override {
        const auto it = records_.find(name);
        if (it == records_.end()) throw Error("the archive has no record " + name);
        const auto bytes = read_at(file_, it->second.data, it->second.size);
        std::string out(bytes.begin(), bytes.end());
        if (crc32(out.data(), out.size()) != it->second.crc) throw Error("record " + name + " is corrupt (CRC-32 mismatch)");
        return out;
    }

private:
    mutable std::ifstream file_;
    std::map<std::string, ZipRecord> records_;  // by name inside the archive's folder
};

ZipArchive::ZipArchive(const fs::path& path) : file_(path, std::ios::binary) {
    std::ifstream& f = file_;
    if (!f) throw Error("cannot open the file");
    f.seekg(0, std::ios::end);
    const uint64_t file_size = static_cast<uint64_t>(f.tellg());
    if (file_size < 22) throw Error("too short for a zip archive");
    const uint64_t tail_size = std::min<uint64_t>(file_size, 65535 + 22);
    const auto tail = read_at(f, file_size - tail_size, tail_size);
    size_t eocd = tail_size - 22 + 1;
    while (eocd-- > 0) {
        if (field(tail, eocd, 4) == 0x06054b50) break;
    }
    if (eocd > tail_size - 22) throw Error("no zip end-of-central-directory record");
    uint64_t entries = field(tail, eocd + 10, 2), dir_size = field(tail, eocd + 12, 4),
             dir_offset = field(tail, eocd + 16, 4);
    if (entries == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF) {  // zip64
        if (eocd < 20 || field(tail, eocd - 20, 4) != 0x07064b50) throw Error("zip64 locator missing");
        const uint64_t at = field(tail, eocd - 20 + 8, 8);
        if (at > file_size || file_size - at < 56) throw Error("zip64 directory record outside the file");
        const auto z = read_at(f, at, 56);
        if (field(z, 0, 4) != 0x06064b50) throw Error("zip64 directory record missing");
        entries = field(z, 32, 8);
        dir_size = field(z, 40, 8);
        dir_offset = field(z, 48, 8);
    }
    if (dir_offset > file_size || dir_size > file_size - dir_offset || entries > dir_size / 46) {
        throw Error("zip central directory outside the file");
    }
    const auto dir = read_at(f, dir_offset, dir_size);
    size_t at = 0;
    std::string prefix;  // the folder every record is in
    for (uint64_t e = 0; e < entries; ++e) {
        if (field(dir, at, 4) != 0x02014b50) throw Error("corrupt zip central directory");
        const uint64_t method = field(dir, at + 10, 2), name_len = field(dir, at + 28, 2),
                       extra_len = field(dir, at + 30, 2), comment_len = field(dir, at + 32, 2);
        uint64_t packed = field(dir, at + 20, 4), size = field(dir, at + 24, 4), local = field(dir, at + 42, 4);
        const uint32_t crc = static_cast<uint32_t>(field(dir, at + 16, 4));
        const std::string name(reinterpret_cast<const char*>(dir.data()) + at + 46,
                               std::min<size_t>(name_len, dir.size() - std::min(dir.size(), at + 46)));
        // zip64 sizes and offset, in this order, for the fields that say 0xFFFFFFFF.
        for (size_t x = at + 46 + name_len; x + 4 <= at + 46 + name_len + extra_len;) {
            const uint64_t id = field(dir, x, 2), len = field(dir, x + 2, 2);
            if (id == 0x0001) {
                size_t y = x + 4;
                for (uint64_t* v : {&size, &packed, &local}) {
                    if (*v == 0xFFFFFFFF && y + 8 <= x + 4 + len) {
                        *v = field(dir, y, 8);
                        y += 8;
                    }
                }
            }
            x += 4 + len;
        }
        if (method != 0) {
            throw Error(fmt::format("record '{}' is compressed (zip method {}); torch.save stores its records "
                                    "uncompressed, and a compressed one is refused", name, method));
        }
        if (packed != size) throw Error(fmt::format("record '{}' declares {} bytes stored as {}", name, size, packed));
        if (local > file_size || file_size - local < 30) throw Error(fmt::format("record '{}' lies outside the file", name));
        const auto header = read_at(f, local, 30);
        if (field(header, 0, 4) != 0x04034b50) throw Error(fmt::format("record '{}' has no local header", name));
        const uint64_t data = local + 30 + field(header, 26, 2) + field(header, 28, 2);
        if (data > file_size || size > file_size - data) {
            throw Error(fmt::format("record '{}' declares {} bytes, more than the file holds", name, size));
        }
        // Every record in one folder, as torch.save writes them.
        const size_t slash = name.find('/');
        if (slash == std::string::npos || slash == 0) throw Error(fmt::format("record '{}' is not in a folder", name));
        if (e == 0) prefix = name.substr(0, slash + 1);
        if (name.compare(0, prefix.size(), prefix) != 0) {
            throw Error(fmt::format("record '{}' is outside the archive's folder '{}'", name, prefix));
        }
        const std::string inside = name.substr(prefix.size());
        if (!records_.emplace(inside, ZipRecord{data, size, crc}).second) {
            throw Error(fmt::format("record '{}' appears twice", name));
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    if (entries == 0) throw Error("the archive holds no records");
    const char* version_name = has(".data/version") ? ".data/version" : "version";
    if (!has(version_name) || records_.at(version_name).size == 0 || records_.at(version_name).size > 8) {
        throw Error("the archive has no valid version record");
    }
    const std::string version = get(version_name);
    uint64_t number = 0;
    for (unsigned char c : version) {
        if (c == '\n') break;
        if (c < '0' || c > '9') throw Error("the archive's version record is not a number");
        number = number * 10 + (c - '0');
    }
    if (number < caffe2::serialize::kMinSupportedFileFormatVersion ||
        number > caffe2::serialize::kMaxSupportedFileFormatVersion) {
        throw Error(fmt::format("the archive has format version {}, which this LibTorch does not read", number));
    }
}

void flatten(const PickleValue& dict, const std::string& prefix, std::map<std::string, torch::Tensor>& out) {
    for (const auto& [k, v] : dict.entries) {
        if (k->kind != Kind::String) continue;
        const std::string name = prefix.empty() ? k->text : prefix + "." + k->text;
        if (v->kind == Kind::Tensor) out[name] = v->tensor;
        else if (v->kind == Kind::Dict) flatten(*v, name, out);
    }
}

bool holds_tensors(const PickleValue& v) {
    for (const auto& [k, e] : v.entries) {
        if (e->kind == Kind::Tensor) return true;
    }
    return false;
}

}  // namespace

std::string PthRecords::storage(const std::string& key, size_t, int64_t) const {
    const std::string record = "data/" + key;
    if (!has(record)) throw Error("the archive has no record " + record);
    return get(record);  // its size and CRC checked against the file
}

PickleValuePtr unpickle(const uint8_t* data, size_t size, const PthRecords& zip, size_t* consumed) {
    if (size > kMaxPickleBytes) {
        throw Error(fmt::format("the pickle holds {} bytes, more than the {} a checkpoint's may", size, kMaxPickleBytes));
    }
    Unpickler unpickler(data, size, zip);
    auto root = unpickler.run();
    if (consumed) *consumed = unpickler.consumed();
    return root;
}

namespace {

// The legacy stream (torch.save before 1.6, or _use_new_zipfile_serialization=False): a pickled
// magic number, protocol version and system description, the object's pickle (storages as
// persistent ids), the pickled list of storage keys, then per key an int64 element count and the
// raw little-endian bytes.
constexpr std::array<uint8_t, 15> kLegacyMagic = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                                  0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

// Records with no data: the first pass over the object's pickle learns each storage's item size
// (which the stream's layout needs) from zero bytes of the declared size, bounded by the file's.
class DeclaredStorages final : public PthRecords {
public:
    explicit DeclaredStorages(uint64_t limit) : limit_(limit) {}
    bool has(const std::string&) const override { return false; }
    std::string get(const std::string& name) const override { throw Error("no record " + name); }
    std::string storage(const std::string& key, size_t item_size, int64_t numel) const override {
        // All storages together must fit in the file (their bytes follow the pickles).
        if (static_cast<uint64_t>(numel) > (limit_ - used_) / item_size) {
            throw Error(fmt::format("storage {} declares {} elements, more than the file holds", key, numel));
        }
        used_ += static_cast<uint64_t>(numel) * item_size;
        items_[key] = {item_size, numel};
        return std::string(static_cast<size_t>(numel) * item_size, '\0');
    }
    std::map<std::string, std::pair<size_t, int64_t>>& declared() const { return items_; }

private:
    uint64_t limit_;
    mutable uint64_t used_ = 0;
    mutable std::map<std::string, std::pair<size_t, int64_t>> items_;
};

// The second pass: each storage's bytes where the walk over the stream found them.
class LegacyStorages final : public PthRecords {
public:
    LegacyStorages(const std::string& file, std::map<std::string, std::pair<size_t, size_t>> at)
        : file_(file), at_(std::move(at)) {}
    bool has(const std::string&) const override { return false; }
    std::string get(const std::string& name) const override { throw Error("no record " + name); }
    std::string storage(const std::string& key, size_t, int64_t) const override {
        const auto it = at_.find(key);
        if (it == at_.end()) throw Error("the file has no storage " + key);
        return file_.substr(it->second.first, it->second.second);
    }

private:
    const std::string& file_;
    std::map<std::string, std::pair<size_t, size_t>> at_;  // key -> offset, bytes
};

PickleValuePtr read_legacy(const std::string& file) {
    const auto* data = reinterpret_cast<const uint8_t*>(file.data());
    const size_t size = file.size();
    size_t at = kLegacyMagic.size();
    const DeclaredStorages none(0);
    const auto next = [&](const PthRecords& records, const char* what) {
        if (at >= size) throw Error(std::string("the file ends before its ") + what);
        size_t used = 0;
        auto v = unpickle(data + at, std::min(size - at, kMaxPickleBytes), records, &used);
        at += used;
        return v;
    };
    const auto version = next(none, "protocol version");
    if (version->kind != Kind::Int || version->integer != 1001) {
        throw Error("legacy checkpoint with an unknown protocol version (1001 expected)");
    }
    const auto system = next(none, "system description");
    const PickleValue* little = system->get("little_endian");
    if (!little || little->kind != Kind::Bool || !little->boolean) {
        throw Error("legacy checkpoint written on a big-endian machine (not supported)");
    }
    const size_t object_at = at;
    const DeclaredStorages declared(size);
    next(declared, "object");
    const auto keys = next(none, "storage keys");
    if (keys->kind != Kind::List) throw Error("legacy checkpoint: the storage keys are not a list");
    std::map<std::string, std::pair<size_t, size_t>> found;
    for (const auto& key : keys->items) {
        if (key->kind != Kind::String) throw Error("legacy checkpoint: a storage key is not a string");
        const auto d = declared.declared().find(key->text);
        if (d == declared.declared().end()) throw Error("legacy checkpoint: storage " + key->text + " is never used");
        if (size - at < 8) throw Error("the file ends in storage " + key->text);
        int64_t numel = 0;
        std::memcpy(&numel, data + at, 8);
        at += 8;
        if (numel != d->second.second) {
            throw Error(fmt::format("storage {} holds {} elements, its tensors declare {}", key->text, numel,
                                    d->second.second));
        }
        const size_t bytes = static_cast<size_t>(numel) * d->second.first;  // bounded by the file size
        if (size - at < bytes) throw Error("the file ends in storage " + key->text);
        found[key->text] = {at, bytes};
        at += bytes;
    }
    if (found.size() != declared.declared().size()) throw Error("legacy checkpoint: a used storage has no data");
    at = object_at;
    return next(LegacyStorages(file, std::move(found)), "object");
}

}  // namespace

PthCheckpoint PthCheckpoint::read(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error("checkpoint " + path.string() + " does not exist");
    bool legacy = false;
    {
        std::ifstream f(path, std::ios::binary);
        unsigned char head[4] = {0, 0, 0, 0};
        f.read(reinterpret_cast<char*>(head), 4);
        if (head[0] == 0x80 && head[1] == 0x02 && head[2] == 0x8a) legacy = true;
        else if (!(head[0] == 'P' && head[1] == 'K')) {
            throw Error(path.string() + " is not a PyTorch checkpoint (no zip archive)");
        }
    }
    PthCheckpoint c;
    c.path_ = path;
    try {
        if (legacy) {
            std::ifstream f(path, std::ios::binary);
            std::string file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            if (!f && !f.eof()) throw Error("cannot read the file");
            if (file.size() < kLegacyMagic.size() || std::memcmp(file.data(), kLegacyMagic.data(), kLegacyMagic.size()) != 0) {
                throw Error("not a PyTorch checkpoint (a pickle without torch.save's magic number)");
            }
            c.root_ = read_legacy(file);
            return c;
        }
        const ZipArchive zip(path);
        if (!zip.has("data.pkl")) throw Error("the archive has no data.pkl");
        if (zip.size("data.pkl") > kMaxPickleBytes) {
            throw Error(fmt::format("data.pkl holds {} bytes, more than the {} a checkpoint's pickle may",
                                    zip.size("data.pkl"), kMaxPickleBytes));
        }
        const std::string pickle = zip.get("data.pkl");
        c.root_ = unpickle(reinterpret_cast<const uint8_t*>(pickle.data()), pickle.size(), zip);
    } catch (const c10::Error& e) {
        throw Error(path.string() + " is not a readable PyTorch checkpoint: " + e.what_without_backtrace());
    } catch (const Error& e) {
        throw Error(path.string() + ": " + e.what());
    } catch (const std::bad_alloc&) {
        throw Error(path.string() + ": out of memory while reading it");
    } catch (const std::exception& e) {  // e.g. std::stoull on a malformed version record
        throw Error(path.string() + " is not a readable PyTorch checkpoint: " + e.what());
    }
    return c;
}

std::map<std::string, torch::Tensor> PthCheckpoint::state_dict(const std::string& entry) const {
    const PickleValue* dict = nullptr;
    if (!entry.empty()) {
        dict = root_->get(entry);
        if (!dict) throw Error(path_.string() + " has no entry '" + entry + "'");
    } else if (root_->kind == Kind::Dict && holds_tensors(*root_)) {
        dict = root_.get();
    } else {
        for (const char* key : {"state_dict", "model", "params", "net"}) {
            if ((dict = root_->get(key))) break;
        }
        if (!dict) dict = root_.get();
    }
    std::map<std::string, torch::Tensor> out;
    if (dict->kind == Kind::Dict) flatten(*dict, "", out);
    if (out.empty()) {
        throw Error(path_.string() + " holds no tensors" + (entry.empty() ? std::string() : " under '" + entry + "'"));
    }
    const std::string prefix = "module.";
    const bool all_prefixed = std::all_of(out.begin(), out.end(), [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
    if (all_prefixed) {
        std::map<std::string, torch::Tensor> stripped;
        for (auto& [k, v] : out) stripped[k.substr(prefix.size())] = v;
        out.swap(stripped);
    }
    return out;
}

torch::Tensor require_tensor(const std::map<std::string, torch::Tensor>& state, const std::string& key,
                             const fs::path& file, std::vector<int64_t> expected_shape) {
    auto it = state.find(key);
    if (it == state.end()) throw Error(file.string() + " has no tensor '" + key + "'");
    if (!expected_shape.empty() && it->second.sizes().vec() != expected_shape) {
        throw Error(fmt::format("{}: tensor '{}' has shape {}, expected {}", file.string(), key,
                                c10::str(it->second.sizes()), c10::str(expected_shape)));
    }
    return it->second;
}

}  // namespace ganvas
