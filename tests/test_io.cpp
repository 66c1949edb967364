// The PyTorch checkpoint reader on small .pth files made by tests/fixtures/pth/make_pth_fixtures.py.
#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>

namespace ganvas {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(GANVAS_FIXTURES_DIR) / "pth";

std::string read_all(const fs::path& p);

// Entry i of the fixture state dict, with shape `shape`: 0.5 * arange(n) + i.
torch::Tensor expected(int i, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return (0.5 * torch::arange(n, torch::kFloat) + i).view(shape);
}

void expect_fixture_state(const std::map<std::string, torch::Tensor>& sd) {
    const std::vector<std::pair<std::string, std::vector<int64_t>>> keys = {
        {"conv.weight", {3, 2, 3, 3}}, {"conv.bias", {3}}, {"bn.weight", {3}}, {"bn.bias", {3}},
        {"bn.running_mean", {3}},      {"bn.running_var", {3}}};
    for (size_t i = 0; i < keys.size(); ++i) {
        const auto& t = require_tensor(sd, keys[i].first, "fixture", keys[i].second);
        EXPECT_TRUE(torch::equal(t, expected(static_cast<int>(i), keys[i].second))) << keys[i].first;
    }
    EXPECT_TRUE(torch::equal(sd.at("fc.weight"), expected(7, {2, 4})));
    EXPECT_TRUE(torch::equal(sd.at("fc.bias"), expected(8, {2})));
    EXPECT_EQ(sd.at("bn.num_batches_tracked").scalar_type(), torch::kLong);
    EXPECT_EQ(sd.at("bn.num_batches_tracked").item<int64_t>(), 6);
    EXPECT_EQ(sd.size(), 9u);
}

TEST(PthReader, ReadsAStateDictOrderedDict) {
    expect_fixture_state(PthCheckpoint::read(kDir / "state_dict.pth").state_dict());
}

TEST(PthReader, ReadsPickleProtocol4) {
    expect_fixture_state(PthCheckpoint::read(kDir / "protocol4.pth").state_dict());
}

TEST(PthReader, FindsTheNestedStateDictAndStripsModulePrefixes) {
    const auto c = PthCheckpoint::read(kDir / "nested.pth");
    expect_fixture_state(c.state_dict());
    expect_fixture_state(c.state_dict("state_dict"));
    ASSERT_NE(c.root().get("epoch"), nullptr);
    EXPECT_EQ(c.root().get("epoch")->integer, 7);
    EXPECT_DOUBLE_EQ(c.root().get("best")->real, 0.25);
    EXPECT_EQ(c.root().get("arch")->text, "net");
    EXPECT_EQ(c.root().get("args")->kind, PickleValue::Kind::Object);
    EXPECT_EQ(c.root().get("args")->text, "argparse.Namespace");
    try {
        c.state_dict("optimizer");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nested.pth"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("optimizer"), std::string::npos);
    }
}

TEST(PthReader, ReadsTheLegacyStreamFormat) {
    expect_fixture_state(PthCheckpoint::read(kDir / "legacy.pth").state_dict());
    const auto sd = PthCheckpoint::read(kDir / "legacy_views.pth").state_dict();
    const auto base = torch::arange(24, torch::kFloat).view({4, 6});
    EXPECT_TRUE(torch::equal(sd.at("base"), base));
    EXPECT_TRUE(torch::equal(sd.at("row2"), base[2]));
    EXPECT_TRUE(torch::equal(sd.at("t"), base.t()));
    EXPECT_EQ(sd.at("row2").data_ptr<float>() - sd.at("base").data_ptr<float>(), 12) << "one shared storage";
    EXPECT_EQ(sd.at("i64")[1].item<int64_t>(), int64_t{1} << 40);
    EXPECT_TRUE(torch::equal(sd.at("f16").to(torch::kFloat), torch::arange(6, torch::kFloat).view({2, 3}) / 4));
    EXPECT_EQ(sd.at("empty").numel(), 0);
}

TEST(PthReader, StorageTypes) {
    const auto sd = PthCheckpoint::read(kDir / "dtypes.pth").state_dict();
    EXPECT_EQ(sd.at("f16").scalar_type(), torch::kHalf);
    EXPECT_TRUE(torch::equal(sd.at("f16").to(torch::kFloat), torch::arange(6, torch::kFloat).view({2, 3}) / 4));
    EXPECT_EQ(sd.at("f64").scalar_type(), torch::kDouble);
    EXPECT_DOUBLE_EQ(sd.at("f64")[1].item<double>(), -1.25);
    EXPECT_EQ(sd.at("i64").scalar_type(), torch::kLong);
    EXPECT_EQ(sd.at("i64")[1].item<int64_t>(), int64_t{1} << 40);
    EXPECT_EQ(sd.at("i64")[0].item<int64_t>(), -3);
    EXPECT_EQ(sd.at("u8")[1].item<uint8_t>(), 255);
    EXPECT_EQ(sd.at("b").scalar_type(), torch::kBool);
    EXPECT_TRUE(sd.at("b")[0].item<bool>());
}

TEST(PthReader, ViewsKeepOffsetsAndStridesOfTheSharedStorage) {
    const auto sd = PthCheckpoint::read(kDir / "views.pth").state_dict();
    const auto base = torch::arange(24, torch::kFloat).view({4, 6});
    EXPECT_TRUE(torch::equal(sd.at("base"), base));
    EXPECT_TRUE(torch::equal(sd.at("row2"), base[2]));
    EXPECT_TRUE(torch::equal(sd.at("col1"), base.select(1, 1)));
    EXPECT_TRUE(torch::equal(sd.at("mid"), base.view(-1).slice(0, 5, 17).view({3, 4})));
    EXPECT_TRUE(torch::equal(sd.at("t"), base.t()));
    EXPECT_EQ(sd.at("col1").stride(0), 6);
    EXPECT_EQ(sd.at("mid").storage_offset(), 5);
    EXPECT_EQ(sd.at("row2").data_ptr<float>() - sd.at("base").data_ptr<float>(), 12) << "one shared storage";
}

TEST(PthReader, ClearErrorsNameTheFile) {
    test::TempDir dir;
    const auto check = [](const fs::path& p, const std::string& text) {
        try {
            PthCheckpoint::read(p);
            FAIL() << "expected an error for " << p;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
        }
    };
    // Legacy streams cut short, with a storage's element count changed, or with trailing storages missing.
    const std::string legacy = read_all(kDir / "legacy_views.pth");
    test::write_bytes(dir / "legacy_cut.pth", legacy.substr(0, legacy.size() - 5));
    check(dir / "legacy_cut.pth", "ends in storage");
    test::write_bytes(dir / "legacy_head.pth", legacy.substr(0, 40));
    check(dir / "legacy_head.pth", "legacy_head.pth");
    // The first storage's element count follows the storage-key list's STOP ('.') at the end of the pickles.
    const size_t keys_end = legacy.rfind("e.");
    ASSERT_NE(keys_end, std::string::npos);
    std::string miscounted = legacy;
    miscounted[keys_end + 2] = static_cast<char>(miscounted[keys_end + 2] + 1);
    test::write_bytes(dir / "legacy_count.pth", miscounted);
    check(dir / "legacy_count.pth", "elements");
    test::write_bytes(dir / "legacy_magic.pth", std::string("\x80\x02\x8a\x0a", 4) + std::string(40, 'x'));
    check(dir / "legacy_magic.pth", "magic number");
    test::write_bytes(dir / "notes.pth", "just some text");
    check(dir / "notes.pth", "not a PyTorch checkpoint");
    check(dir / "missing.pth", "does not exist");
    // A zip cut short.
    std::ifstream in(kDir / "state_dict.pth", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    test::write_bytes(dir / "cut.pth", bytes.substr(0, bytes.size() / 2));
    check(dir / "cut.pth", "cut.pth");
    const auto sd = PthCheckpoint::read(kDir / "state_dict.pth").state_dict();
    EXPECT_THROW(require_tensor(sd, "conv.weight", "f.pth", {3, 3, 3, 3}), Error);
    EXPECT_THROW(require_tensor(sd, "nothing", "f.pth"), Error);
}

// ---- Hostile files: crafted by the tests themselves, a few hundred bytes each. ----

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A .pth archive as torch.save writes it: data.pkl plus storage records data/<key>.
void write_pth(const fs::path& path, const std::string& pickle,
               const std::vector<std::pair<std::string, std::string>>& records = {}) {
    caffe2::serialize::PyTorchStreamWriter writer(path.string());
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    for (const auto& [name, bytes] : records) writer.writeRecord(name, bytes.data(), bytes.size());
    writer.writeEndOfFile();
}

std::string le64(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
}

std::string unicode(const std::string& text) {  // BINUNICODE
    std::string s = "X";
    const uint32_t n = static_cast<uint32_t>(text.size());
    for (int i = 0; i < 4; ++i) s += static_cast<char>((n >> (8 * i)) & 0xFF);
    return s + text;
}

// {'w': a float tensor over storage '0' of `numel` elements, at `offset` with one size and stride}.
std::string tensor_pickle(uint64_t offset, int64_t size, int64_t stride, uint64_t numel = 4) {
    const auto long8 = [](uint64_t v) { return std::string("\x8a\x08", 2) + le64(v); };
    return std::string("\x80\x02}", 3) + unicode("w") + "ctorch._utils\n_rebuild_tensor_v2\n(" + "(" +
           unicode("storage") + "ctorch\nFloatStorage\n" + unicode("0") + unicode("cpu") + long8(numel) + "tQ" +
           long8(offset) + long8(static_cast<uint64_t>(size)) + "\x85" + long8(static_cast<uint64_t>(stride)) +
           "\x85" + "tRs.";
}

const std::string kFourFloats(16, '\0');

void expect_refused(const fs::path& p, const std::string& text) {
    try {
        PthCheckpoint::read(p).state_dict();
        FAIL() << "expected an error for " << p;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

TEST(PthReaderHostile, TheCraftedTensorReadsWhenItIsHonest) {
    test::TempDir dir;
    write_pth(dir / "ok.pth", tensor_pickle(1, 3, 1), {{"data/0", kFourFloats}});
    const auto sd = PthCheckpoint::read(dir / "ok.pth").state_dict();
    EXPECT_EQ(sd.at("w").sizes().vec(), std::vector<int64_t>{3});
}

TEST(PthReaderHostile, ViewsOutsideTheirStorageAreRefusedWhateverTheArithmetic) {
    test::TempDir dir;
    // offset + (size - 1) * stride wraps around in 64 bits.
    write_pth(dir / "wrap.pth", tensor_pickle((uint64_t{1} << 63) - 2, 4, 1), {{"data/0", kFourFloats}});
    expect_refused(dir / "wrap.pth", "exceeds its storage");
    write_pth(dir / "product.pth", tensor_pickle(0, int64_t{1} << 40, int64_t{1} << 40), {{"data/0", kFourFloats}});
    expect_refused(dir / "product.pth", "exceeds its storage");
    write_pth(dir / "negative.pth", tensor_pickle(3, 4, -1), {{"data/0", kFourFloats}});
    expect_refused(dir / "negative.pth", "exceeds its storage");
    write_pth(dir / "past.pth", tensor_pickle(1, 4, 1), {{"data/0", kFourFloats}});
    expect_refused(dir / "past.pth", "exceeds its storage");
}

TEST(PthReaderHostile, StoragesLargerThanTheirRecordAreRefusedBeforeAllocation) {
    test::TempDir dir;
    write_pth(dir / "big.pth", tensor_pickle(0, 1, 1, uint64_t{1} << 61), {{"data/0", kFourFloats}});
    expect_refused(dir / "big.pth", "holds 16 bytes");
    write_pth(dir / "huge.pth", tensor_pickle(0, 1, 1, uint64_t{1} << 62), {{"data/0", kFourFloats}});
    expect_refused(dir / "huge.pth", "declares");
}

TEST(PthReaderHostile, NoValueCanContainItself) {
    test::TempDir dir;
    write_pth(dir / "list.pth", std::string("\x80\x02]q\x00h\x00" "a.", 8));
    expect_refused(dir / "list.pth", "fetched from the memo");
    write_pth(dir / "dict.pth", std::string("\x80\x02}q\x00", 5) + unicode("k") + std::string("h\x00s.", 4));
    expect_refused(dir / "dict.pth", "fetched from the memo");
}

TEST(PthReaderHostile, DepthAndValueBudgets) {
    test::TempDir dir;
    write_pth(dir / "deep.pth", "\x80\x02N" + std::string(300000, '\x85') + ".");
    expect_refused(dir / "deep.pth", "nests deeper");
    write_pth(dir / "many.pth", "\x80\x02" + std::string(kMaxPickleValues + 1, 'N') + ".");
    expect_refused(dir / "many.pth", "more than");
    write_pth(dir / "marks.pth", "\x80\x02" + std::string(kMaxPickleValues + 1, '(') + ".");
    expect_refused(dir / "marks.pth", "more than");
}

// The offset of record `suffix`'s central-directory entry in a zip written by write_pth.
size_t central_entry(const std::string& zip, const std::string& suffix) {
    for (size_t at = zip.find("PK\x01\x02"); at != std::string::npos; at = zip.find("PK\x01\x02", at + 4)) {
        const size_t name_len = static_cast<uint8_t>(zip[at + 28]) | (static_cast<uint8_t>(zip[at + 29]) << 8);
        const std::string name = zip.substr(at + 46, name_len);
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return at;
        }
    }
    ADD_FAILURE() << "no record " << suffix;
    return 0;
}

TEST(PthReaderHostile, ZipRecordsMustBeStoredAndInsideTheFile) {
    test::TempDir dir;
    write_pth(dir / "base.pth", tensor_pickle(0, 4, 1), {{"data/0", kFourFloats}});
    const std::string zip = read_all(dir / "base.pth");
    ASSERT_NO_THROW(PthCheckpoint::read(dir / "base.pth").state_dict());

    std::string deflated = zip;  // a zip bomb declares a small packed size and a huge one inflated
    deflated[central_entry(zip, "data/0") + 10] = 8;
    test::write_bytes(dir / "deflated.pth", deflated);
    expect_refused(dir / "deflated.pth", "compressed");

    std::string oversized = zip;
    const size_t entry = central_entry(zip, "data/0");
    std::memcpy(&oversized[entry + 20], "\x00\x00\x00\x40", 4);  // packed: 1 GiB
    std::memcpy(&oversized[entry + 24], "\x00\x00\x00\x40", 4);  // size: 1 GiB
    test::write_bytes(dir / "oversized.pth", oversized);
    expect_refused(dir / "oversized.pth", "more than the file holds");

    std::string outside = zip;
    std::memcpy(&outside[entry + 42], "\x00\x00\x00\x70", 4);  // local header far past the end
    test::write_bytes(dir / "outside.pth", outside);
    expect_refused(dir / "outside.pth", "outside the file");
}

uint32_t u32_at(const std::string& zip, size_t at) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(zip[at + static_cast<size_t>(i)]);
    return v;
}

uint32_t crc32_of(const std::string& bytes) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

void set_u32(std::string& zip, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) zip[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

TEST(PthReaderHostile, TheVersionRecordFolderAndChecksumsAreChecked) {
    test::TempDir dir;
    write_pth(dir / "base.pth", tensor_pickle(0, 4, 1), {{"data/0", kFourFloats}});
    const std::string zip = read_all(dir / "base.pth");
    const size_t local = u32_at(zip, central_entry(zip, "/version") + 42);
    const size_t data = local + 30 + (static_cast<uint8_t>(zip[local + 26]) | static_cast<uint8_t>(zip[local + 27]) << 8) +
                        (static_cast<uint8_t>(zip[local + 28]) | static_cast<uint8_t>(zip[local + 29]) << 8);
    const size_t entry = central_entry(zip, "/version");
    std::string words = zip;
    words[data] = 'x';
    test::write_bytes(dir / "corrupt.pth", words);  // a changed byte, its checksum as it was
    expect_refused(dir / "corrupt.pth", "CRC-32 mismatch");
    set_u32(words, entry + 16, crc32_of(words.substr(data, 2)));
    test::write_bytes(dir / "words.pth", words);
    expect_refused(dir / "words.pth", "version record is not a number");
    std::string future = zip;
    future[data] = '9';
    future[data + 1] = '9';
    set_u32(future, entry + 16, crc32_of(future.substr(data, 2)));
    test::write_bytes(dir / "future.pth", future);
    expect_refused(dir / "future.pth", "format version 99");
    std::string loose = zip;  // the first record's name loses its folder
    const size_t first = zip.find("PK\x01\x02");
    const size_t name_len = static_cast<uint8_t>(zip[first + 28]);
    for (size_t i = 0; i < name_len; ++i) {
        if (loose[first + 46 + i] == '/') loose[first + 46 + i] = '_';
    }
    test::write_bytes(dir / "loose.pth", loose);
    expect_refused(dir / "loose.pth", "folder");
}

}  // namespace
}  // namespace ganvas
