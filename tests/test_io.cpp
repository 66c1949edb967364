// The PyTorch checkpoint reader on small .pth files made by tests/fixtures/pth/make_pth_fixtures.py.
#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/io/pth_reader.h"

#include <fstream>

namespace ganvas {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(GANVAS_FIXTURES_DIR) / "pth";

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
    check(kDir / "legacy.pth", "legacy");
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

}  // namespace
}  // namespace ganvas
