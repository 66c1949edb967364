#include "test_util.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/color.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/runtime.h"

#include <fstream>
#include <nlohmann/json.hpp>

namespace ganvas {
namespace fs = std::filesystem;
using test::SeededTest;
using test::TempDir;

TEST(ImageTensor, RoundTripKeepsValuesLayoutAndChannelOrder) {
    cv::Mat rgb(5, 7, CV_8UC3, cv::Scalar(0, 0, 0));
    rgb.at<cv::Vec3b>(2, 3) = {255, 10, 0};  // red-ish pixel, RGB order
    auto t = image_to_tensor(rgb);
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{3, 5, 7}));
    EXPECT_FLOAT_EQ(t[0][2][3].item<float>(), 1.0f);
    EXPECT_NEAR(t[1][2][3].item<float>(), 10.0f / 255.0f, 1e-7);
    EXPECT_FLOAT_EQ(t[2][2][3].item<float>(), 0.0f);
    const cv::Mat back = tensor_to_image(t);
    EXPECT_EQ(cv::norm(back, rgb, cv::NORM_INF), 0.0);
}

TEST(ImageIo, WritesAtomicallyAndReadsBack) {
    TempDir dir;
    cv::Mat rgb(9, 11, CV_8UC3);
    cv::randu(rgb, 0, 255);
    const auto path = dir / "sub/out.png";
    write_image_rgb(path, rgb);
    EXPECT_EQ(cv::norm(read_image_rgb(path), rgb, cv::NORM_INF), 0.0);
    for (const auto& entry : fs::directory_iterator(path.parent_path())) {
        EXPECT_EQ(entry.path().filename(), "out.png") << "left behind: " << entry.path();
    }
}

TEST(ImageIo, CorruptAndMissingFilesNameTheFile) {
    TempDir dir;
    test::write_bytes(dir / "broken.jpg", "\xFF\xD8\xFF this is not a jpeg");
    try {
        read_image_rgb(dir / "broken.jpg");
        FAIL() << "no error for a corrupt image";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("broken.jpg"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_image_rgb(dir / "missing.png"), Error);
}

TEST(ImageIo, UnwritableTargetIsAnErrorNamingIt) {
    TempDir dir;
    test::write_bytes(dir / "file", "x");
    try {
        write_file_atomic(dir / "file" / "inside.txt", "data");
        FAIL() << "wrote below a regular file";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("file"), std::string::npos);
    }
}

TEST(ImageIo, ListsImagesRecursivelySorted) {
    TempDir dir;
    cv::Mat rgb(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
    write_image_rgb(dir / "b/2.png", rgb);
    write_image_rgb(dir / "a.jpg", rgb);
    write_image_rgb(dir / "b/1.bmp", rgb);
    test::write_bytes(dir / "notes.txt", "not an image");
    const auto files = list_images(dir.path());
    ASSERT_EQ(files.size(), 3u);
    EXPECT_EQ(files[0].filename(), "a.jpg");
    EXPECT_EQ(files[1].filename(), "1.bmp");
    EXPECT_EQ(files[2].filename(), "2.png");
    EXPECT_THROW(list_images(dir / "nope"), Error);
}

TEST(ImageIo, CenterSquareCropsAndResizes) {
    cv::Mat rgb(20, 30, CV_8UC3, cv::Scalar(0, 0, 0));
    rgb(cv::Rect(5, 0, 20, 20)).setTo(cv::Scalar(200, 100, 50));  // the central square
    const cv::Mat sq = center_square(rgb, 10);
    ASSERT_EQ(sq.size(), cv::Size(10, 10));
    EXPECT_EQ(sq.at<cv::Vec3b>(0, 0), cv::Vec3b(200, 100, 50));
    EXPECT_EQ(sq.at<cv::Vec3b>(9, 9), cv::Vec3b(200, 100, 50));
}

TEST_F(SeededTest, LabOfReferenceColors) {
    auto white = torch::ones({1, 3, 1, 1});
    auto lab = rgb_to_lab(white).flatten();
    EXPECT_NEAR(lab[0].item<double>(), 100.0, 1e-3);
    EXPECT_NEAR(lab[1].item<double>(), 0.0, 1e-3);
    EXPECT_NEAR(lab[2].item<double>(), 0.0, 1e-3);
    auto black = rgb_to_lab(torch::zeros({1, 3, 1, 1})).flatten();
    EXPECT_NEAR(black.abs().max().item<double>(), 0.0, 1e-4);
}

TEST_F(SeededTest, LabRoundTrip) {
    auto rgb = torch::rand({2, 3, 8, 8}, torch::kFloat64);
    auto back = lab_to_rgb(rgb_to_lab(rgb));
    EXPECT_LT((back - rgb).abs().max().item<double>(), 1e-5);
}

TEST(Color, LabMatchesScikitImage) {
    // Reference: skimage.color.rgb2lab on the fixture image (tests/fixtures/make_metric_fixtures.py).
    std::ifstream in(std::string(GANVAS_FIXTURES_DIR) + "/metrics/values.json");
    const auto values = nlohmann::json::parse(in);
    for (const char* name : {"noise", "gradient", "blob"}) {
        auto rgb = image_to_tensor(read_image_rgb(fs::path(GANVAS_FIXTURES_DIR) / "metrics" /
                                                  (std::string(name) + "_a.png")))
                       .unsqueeze(0)
                       .to(torch::kFloat64);
        auto mean = rgb_to_lab(rgb).mean({0, 2, 3});
        for (int c = 0; c < 3; ++c) {
            EXPECT_NEAR(mean[c].item<double>(), values["pairs"][name]["lab_mean_a"][c].get<double>(), 0.02)
                << name << " channel " << c;
        }
    }
}

TEST_F(SeededTest, CombineKeepsLightnessAndTakesChroma) {
    auto gray = rgb_to_gray3(torch::rand({2, 3, 6, 6}));
    // Muted colors stay inside the gamut after recombination.
    auto chroma = 0.4 + 0.2 * torch::rand({2, 3, 6, 6});
    auto out = combine_luminance_chroma(gray, chroma);
    auto lab_out = rgb_to_lab(out), lab_gray = rgb_to_lab(gray), lab_chroma = rgb_to_lab(chroma);
    EXPECT_LT((lab_out.narrow(1, 0, 1) - lab_gray.narrow(1, 0, 1)).abs().mean().item<double>(), 0.5);
    auto ab_err = (lab_out.narrow(1, 1, 2) - lab_chroma.narrow(1, 1, 2)).abs();
    EXPECT_LT(ab_err.median().item<double>(), 0.5);
}

TEST_F(SeededTest, ColorGradientsAreFiniteEverywhere) {
    auto rgb = torch::rand({1, 3, 5, 5});
    rgb.index_put_({0, 0, 0, 0}, 0.0);  // exact black and white hit the curve's branch points
    rgb.index_put_({0, 1, 1, 1}, 1.0);
    rgb.requires_grad_(true);
    combine_luminance_chroma(rgb.detach().clone(), rgb).sum().backward();
    EXPECT_TRUE(torch::isfinite(rgb.grad()).all().item<bool>());
}

TEST(Runtime, DeviceAndThreads) {
    EXPECT_EQ(parse_device("cpu"), torch::Device(torch::kCPU));
    EXPECT_THROW(parse_device("gpu"), UsageError);
    if (!torch::cuda::is_available()) EXPECT_THROW(parse_device("cuda"), UsageError);
    const int before = torch::get_num_threads();
    EXPECT_EQ(configure_threads(3), 3);
    EXPECT_EQ(torch::get_num_threads(), 3);
    EXPECT_EQ(configure_threads(0), available_cores());
    torch::set_num_threads(before);
}

TEST(Checkpoint, HeaderAndPayloadRoundTrip) {
    TempDir dir;
    CheckpointHeader header{"colorizer", {{"a", 1}}, {{"step", 7}}};
    save_checkpoint(dir / kCheckpointFile, header, [](torch::serialize::OutputArchive& ar) {
        ar.write("payload", torch::arange(4));
    });
    auto loaded = load_checkpoint(dir.path());  // a run folder stands for its checkpoint.pt
    EXPECT_EQ(loaded.header.model, "colorizer");
    EXPECT_EQ(loaded.header.options["a"], 1);
    EXPECT_EQ(loaded.header.state["step"], 7);
    torch::Tensor payload;
    loaded.archive->read("payload", payload);
    EXPECT_TRUE(payload.equal(torch::arange(4)));
}

TEST(Checkpoint, ForeignTruncatedAndMissingFilesAreNamedErrors) {
    TempDir dir;
    const auto good = dir / "good.pt";
    save_checkpoint(good, {"colorizer", {}, {}}, [](torch::serialize::OutputArchive& ar) {
        ar.write("w", torch::randn({64, 64}));
    });
    const auto expect_error = [](const fs::path& path, const std::string& expected_model,
                                 const std::string& fragment) {
        try {
            load_checkpoint(path, expected_model);
            ADD_FAILURE() << "no error for " << path;
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(path.filename().string()), std::string::npos) << msg;
            EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
        }
    };
    expect_error(good, "pix2pix", "holds a 'colorizer' model");

    std::ifstream in(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    test::write_bytes(dir / "truncated.pt", bytes.substr(0, bytes.size() / 2));
    expect_error(dir / "truncated.pt", "", "corrupt");
    test::write_bytes(dir / "noise.pt", "definitely not a zip archive");
    expect_error(dir / "noise.pt", "", "corrupt");
    expect_error(dir / "missing.pt", "", "not found");

    // A valid torch archive that is not a ganvas checkpoint.
    torch::serialize::OutputArchive foreign;
    foreign.write("weights", torch::ones(3));
    foreign.save_to((dir / "foreign.pt").string());
    expect_error(dir / "foreign.pt", "", "not a ganvas checkpoint");
}

}  // namespace ganvas
