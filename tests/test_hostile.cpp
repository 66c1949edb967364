// Hostile input: image headers and limits, folder walks, output paths, atomic writes under a full
// disk, option values, thread counts, the boundary benchmark's tolerance and HED's Crop layer.
// Every crafted file is generated here.
#include "test_util.h"

#include "ganvas/core/atomic_file.h"
#include "ganvas/core/checkpoint.h"
#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/core/image_header.h"
#include "ganvas/core/options.h"
#include "ganvas/core/runtime.h"
#include "ganvas/edges/bsds_eval.h"
#include "ganvas/edges/hed.h"
#include "ganvas/io/file_jobs.h"
#include "ganvas/train/run_log.h"
#include "ganvas/train/train_options.h"

#include <fcntl.h>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

namespace ganvas {
namespace {
namespace fs = std::filesystem;

std::string encode(const std::string& ext, const cv::Mat& image) {
    std::vector<uchar> bytes;
    EXPECT_TRUE(cv::imencode(ext, image, bytes)) << ext;
    return std::string(bytes.begin(), bytes.end());
}

ImageHeader header_of(const std::string& bytes) {
    return read_image_header(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// A PNG signature and IHDR declaring width x height, and nothing after it.
std::string png_header(uint32_t width, uint32_t height) {
    std::string s = "\x89PNG\r\n\x1a\n";
    s += std::string("\0\0\0\x0dIHDR", 8);
    for (uint32_t v : {width, height}) {
        for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xFF);
    }
    s += std::string("\x08\x02\0\0\0\0\0\0\0", 9);
    return s;
}

// Restores the process-wide image limits after a test changes them.
struct LimitsGuard {
    ImageLimits saved = image_limits();
    ~LimitsGuard() { set_image_limits(saved); }
};

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ImageHeader, ReadsTheSizeOfEveryFormatGanvasReads) {
    cv::Mat bgr(16, 24, CV_8UC3, cv::Scalar(10, 20, 30));
    cv::Mat gray(16, 24, CV_8U, cv::Scalar(7));
    const std::vector<std::tuple<std::string, cv::Mat, std::string>> cases = {
        {".png", bgr, "png"}, {".jpg", bgr, "jpeg"}, {".webp", bgr, "webp"}, {".bmp", bgr, "bmp"},
        {".tiff", bgr, "tiff"}, {".ppm", bgr, "pnm"}, {".pgm", gray, "pnm"}};
    for (const auto& [ext, image, format] : cases) {
        const ImageHeader h = header_of(encode(ext, image));
        EXPECT_EQ(h.format, format) << ext;
        EXPECT_EQ(h.width, 24) << ext;
        EXPECT_EQ(h.height, 16) << ext;
    }
    // Lossless WebP has its own header layout.
    const ImageHeader lossless = header_of([&] {
        std::vector<uchar> bytes;
        cv::imencode(".webp", bgr, bytes, {cv::IMWRITE_WEBP_QUALITY, 101});
        return std::string(bytes.begin(), bytes.end());
    }());
    EXPECT_EQ(lossless.width, 24);
    EXPECT_EQ(lossless.height, 16);
    EXPECT_EQ(header_of(encode(".hdr", cv::Mat(4, 4, CV_32FC3, cv::Scalar(1, 1, 1)))).format, "hdr");
}

TEST(ImageHeader, TruncatedOrMalformedHeadersGiveNoSizeAndNeverReadPastTheEnd) {
    const std::string png = encode(".png", cv::Mat(9, 9, CV_8UC3, cv::Scalar::all(0)));
    const std::string jpeg = encode(".jpg", cv::Mat(9, 9, CV_8UC3, cv::Scalar::all(0)));
    for (const std::string& full : {png, jpeg}) {
        for (size_t n = 0; n < 20; ++n) {
            // A copy of exactly n bytes on the heap: AddressSanitizer sees any read past it.
            std::vector<unsigned char> cut(full.begin(), full.begin() + static_cast<long>(n));
            const ImageHeader h = read_image_header(cut.data(), cut.size());
            EXPECT_EQ(h.width, 0) << n;
        }
    }
    EXPECT_EQ(header_of("P6\n# comment\n12 34\n255\n").width, 12);
    EXPECT_EQ(header_of("P6\n99999999999 3\n").width, 0) << "more than 10 digits";
    EXPECT_EQ(header_of("not an image at all").format, "unknown");
    EXPECT_EQ(header_of(std::string("\x89PNG\r\n\x1a\n", 8)).width, 0);
}

TEST(ImageLimits, ADecompressionBombIsRefusedFromItsHeader) {
    test::TempDir dir;
    test::write_bytes(dir / "bomb.png", png_header(32768, 32768) + std::string(32, '\0'));
    const std::string message = error_of([&] { read_image_rgb(dir / "bomb.png"); });
    EXPECT_NE(message.find("bomb.png declares 32768x32768"), std::string::npos) << message;
    EXPECT_NE(message.find("--max-image-pixels"), std::string::npos) << message;
    // Sizes whose product overflows 64 bits are refused too.
    const ImageHeader huge{"tiff", int64_t{1} << 40, int64_t{1} << 40};
    EXPECT_THROW(check_image_header(huge, 100, "huge.tif"), Error);
}

TEST(ImageLimits, FormatsOutsideTheListAreRefusedWhateverTheExtension) {
    test::TempDir dir;
    test::write_bytes(dir / "radiance.png", encode(".hdr", cv::Mat(4, 4, CV_32FC3, cv::Scalar(1, 1, 1))));
    const std::string message = error_of([&] { read_image_rgb(dir / "radiance.png"); });
    EXPECT_NE(message.find("radiance.png is a hdr file"), std::string::npos) << message;
    test::write_bytes(dir / "text.png", "hello, not an image");
    EXPECT_NE(error_of([&] { read_image_rgb(dir / "text.png"); }).find("not an image ganvas reads"), std::string::npos);
    // Allowed on request; and a format can be taken away.
    LimitsGuard guard;
    ImageLimits limits = image_limits();
    limits.formats = {"jpeg"};
    set_image_limits(limits);
    test::write_bytes(dir / "ok.png", encode(".png", cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(5))));
    EXPECT_NE(error_of([&] { read_image_rgb(dir / "ok.png"); }).find("is a png file"), std::string::npos);
    limits.formats = {"gif"};
    EXPECT_THROW(set_image_limits(limits), UsageError);
}

TEST(ImageLimits, FileSizeAndPixelCountLimitsAreTheUsers) {
    test::TempDir dir;
    test::write_bytes(dir / "a.png", encode(".png", cv::Mat(20, 30, CV_8UC3, cv::Scalar::all(5))));
    EXPECT_EQ(read_image_rgb(dir / "a.png").cols, 30);
    LimitsGuard guard;
    ImageLimits limits = image_limits();
    limits.max_pixels = 599;
    set_image_limits(limits);
    EXPECT_NE(error_of([&] { read_image_rgb(dir / "a.png"); }).find("over the limit of 599"), std::string::npos);
    limits.max_pixels = 600;
    limits.max_file_bytes = 10;
    set_image_limits(limits);
    EXPECT_NE(error_of([&] { read_image_rgb(dir / "a.png"); }).find("--max-image-mb"), std::string::npos);
    EXPECT_NE(error_of([&] { read_image_gray(dir / "a.png"); }).find("--max-image-mb"), std::string::npos);
    limits.max_pixels = 0;
    EXPECT_THROW(set_image_limits(limits), UsageError);
    EXPECT_NE(error_of([&] { read_image_rgb(dir.path()); }).find("not a regular file"), std::string::npos);
}

TEST(ListImages, TwoLinksToOneFolderAreBothListedAndALatticeIsBounded) {
    // The staging of pix2pix's folders mode beside style2paints' pairs: A/ and lineart/ name one
    // folder of drawings, B/ and color/ one of paintings.
    test::TempDir dir;
    test::write_tiny_images(dir / "drawings", 2);
    fs::create_directories(dir / "data");
    fs::create_directory_symlink(dir / "drawings", dir / "data" / "A");
    fs::create_directory_symlink(dir / "drawings", dir / "data" / "lineart");
    const auto files = list_images(dir / "data");
    ASSERT_EQ(files.size(), 4u);
    EXPECT_EQ(std::count_if(files.begin(), files.end(), [](const fs::path& f) { return f.parent_path().filename() == "A"; }), 2);
    // Ten links to one folder: walked at most eight times, the rest skipped and named.
    for (int i = 0; i < 8; ++i) fs::create_directory_symlink(dir / "drawings", dir / "data" / ("more" + std::to_string(i)));
    std::vector<std::string> skipped;
    EXPECT_EQ(list_images(dir / "data", &skipped).size(), 16u);
    ASSERT_EQ(skipped.size(), 2u);
    EXPECT_NE(skipped.front().find("more than 8 links"), std::string::npos);
}

TEST(ListImages, ALinkLoopIsWalkedOnceAndAnUnreadableFolderIsSkipped) {
    test::TempDir dir;
    test::write_tiny_images(dir / "in" / "inner", 2);
    fs::create_directory_symlink("..", dir / "in" / "inner" / "up");
    const auto files = list_images(dir / "in");
    EXPECT_EQ(files.size(), 2u);
    // A folder nested deeper than PATH_MAX cannot be opened by path, even by root: skipped, named.
    const int root_fd = ::open((dir / "in").c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(root_fd, 0);
    int fd = root_fd;
    const std::string long_name(200, 'd');
    for (int depth = 0; depth < 24; ++depth) {
        ASSERT_EQ(::mkdirat(fd, long_name.c_str(), 0755), 0);
        const int next = ::openat(fd, long_name.c_str(), O_RDONLY | O_DIRECTORY);
        if (fd != root_fd) ::close(fd);
        fd = next;
        ASSERT_GE(fd, 0);
    }
    ::close(fd);
    ::close(root_fd);
    std::vector<std::string> skipped;
    const auto again = list_images(dir / "in", &skipped);
    EXPECT_EQ(again.size(), 2u);
    ASSERT_FALSE(skipped.empty());
    EXPECT_NE(skipped.front().find(long_name), std::string::npos);
    // Clean up the deep chain from the inside out (remove_all cannot reach it by path).
    std::function<void(int)> remove_chain = [&](int parent) {
        const int child = ::openat(parent, long_name.c_str(), O_RDONLY | O_DIRECTORY);
        if (child < 0) return;
        remove_chain(child);
        ::close(child);
        ::unlinkat(parent, long_name.c_str(), AT_REMOVEDIR);
    };
    const int top = ::open((dir / "in").c_str(), O_RDONLY | O_DIRECTORY);
    remove_chain(top);
    ::close(top);
}

TEST(PlanOutputs, OutputsStayUnderOutThroughLinkedInputs) {
    test::TempDir dir;
    test::write_tiny_images(dir / "elsewhere", 1);
    fs::create_directories(dir / "in");
    fs::create_directory_symlink(dir / "elsewhere", dir / "in" / "sub");
    const auto jobs = plan_outputs({dir / "in"}, dir / "out");
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].output.parent_path(), dir / "out" / "sub");
    // An output folder whose subfolder links elsewhere would write there: refused.
    fs::create_directories(dir / "out2");
    fs::create_directory_symlink(dir / "elsewhere", dir / "out2" / "sub");
    EXPECT_NE(error_of([&] { plan_outputs({dir / "in"}, dir / "out2"); }).find("outside --out"), std::string::npos);
}

TEST(PlanOutputs, NoOutputReplacesAnInputOrAnotherOutput) {
    test::TempDir dir;
    test::write_bytes(dir / "in" / "a.png", encode(".png", cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(1))));
    test::write_bytes(dir / "in" / "a.jpg", encode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(2))));
    // a.jpg -> in/a.png, which is an input of the same run.
    EXPECT_NE(error_of([&] { plan_outputs({dir / "in"}, dir / "in"); }).find("overwrite an input"), std::string::npos);
    // Elsewhere, both would land on out/a.png.
    EXPECT_NE(error_of([&] { plan_outputs({dir / "in"}, dir / "out"); }).find("are the same file"), std::string::npos);
    // Sample names are checked by whoever writes them.
    EXPECT_NE(error_of([&] {
                  check_output_paths({sample_path(dir / "in" / "b.png", 0, 2), sample_path(dir / "in" / "a.png", 1, 2)},
                                     {dir / "in" / "a_1.png"}, dir / "in");
              }).find("overwrite an input"),
              std::string::npos);
}

TEST(AtomicFile, ATemporaryLeftByAKilledWriterIsTakenOver) {
    test::TempDir dir;
    test::write_bytes(dir / "c.pt.tmp", std::string(5000, 'x'));  // a writer killed half-way
    write_file_atomic(dir / "c.pt", "complete");
    EXPECT_FALSE(fs::exists(dir / "c.pt.tmp"));
    std::ifstream in(dir / "c.pt");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "complete");
    // A link planted under the temporary name is not followed.
    fs::create_symlink(dir / "victim", dir / "d.pt.tmp");
    EXPECT_THROW(write_file_atomic(dir / "d.pt", "x"), Error);
    EXPECT_FALSE(fs::exists(dir / "victim"));
}

TEST(AtomicFile, AFullDiskLeavesThePreviousFileAndNamesTheFile) {
    test::TempDir dir;
    write_file_atomic(dir / "ckpt.pt", "previous");
    std::signal(SIGXFSZ, SIG_IGN);  // as ganvas does at start-up: EFBIG instead of a core dump
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    rlimit small = saved;
    small.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const std::string message = error_of([&] { write_file_atomic(dir / "ckpt.pt", std::string(100000, 'n')); });
    ::setrlimit(RLIMIT_FSIZE, &saved);
    EXPECT_NE(message.find("ckpt.pt"), std::string::npos) << message;
    std::ifstream in(dir / "ckpt.pt");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "previous");
    EXPECT_FALSE(fs::exists(dir / "ckpt.pt.tmp"));
}

TEST(OptionValues, NonFiniteNumbersAndInvalidUtf8AreRefused) {
    EXPECT_FALSE(option_value_fits(OptionType::Float, std::numeric_limits<double>::infinity()));
    EXPECT_FALSE(option_value_fits(OptionType::Float, std::nan("")));
    EXPECT_FALSE(option_value_fits(OptionType::FloatList, nlohmann::json::array({1.0, std::nan("")})));
    EXPECT_TRUE(option_value_fits(OptionType::Float, 2));
    const OptionSpec spec{"lambda", OptionType::Float, 1.0};
    EXPECT_THROW(parse_option_words(spec, {"1e999"}, "--lambda"), UsageError);
    EXPECT_THROW(parse_option_words(spec, {"nan"}, "--lambda"), UsageError);
    EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa8"));
    for (const char* bad : {"caf\xe9", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"}) {
        EXPECT_FALSE(valid_utf8(bad)) << bad;
    }
    EXPECT_FALSE(option_value_fits(OptionType::String, std::string("\xff")));
    // A hostile value in an error message does not make the message itself throw.
    const std::vector<OptionSpec> specs = {spec};
    EXPECT_THROW(check_options("m", specs, {{"lambda", std::string("\xff\xfe")}}), UsageError);
}

TEST(Counts, FlagsHaveUpperBoundsAndNaNFailsRangeChecks) {
    EXPECT_THROW(check_count("--jobs", kMaxThreads + 1, 0, kMaxThreads), UsageError);
    EXPECT_NO_THROW(check_count("--jobs", kMaxThreads, 0, kMaxThreads));
    EXPECT_THROW(check_finite("--lr", std::nan("")), UsageError);
    EXPECT_THROW(configure_threads(kMaxThreads + 1), UsageError);
    TrainOptions o;
    o.data = "d";
    o.out = "o";
    o.steps = 1;
    EXPECT_NO_THROW(o.validate());
    o.split.val_ratio = std::nan("");
    EXPECT_THROW(o.validate(), UsageError);
    o.split.val_ratio = 0.1;
    o.time_budget = std::nan("");
    EXPECT_THROW(o.validate(), UsageError);
    o.time_budget = 0;
    o.workers = 100000;
    EXPECT_THROW(o.validate(), UsageError);
    o.workers = 2;
    o.out = "r\xff";
    EXPECT_THROW(o.validate(), UsageError);
}

TEST(RunThreads, EveryBodyRunsOnItsOwnThread) {
    std::atomic<int> sum{0};
    run_threads(8, [&](int i) { sum += i + 1; }, "a test");
    EXPECT_EQ(sum.load(), 36);
}

TEST(BsdsEval, AToleranceBeyondTheDiagonalIsAUsageError) {
    test::TempDir dir;
    fs::create_directories(dir / "pred");
    fs::create_directories(dir / "gt");
    BsdsOptions options;
    for (double bad : {1e9, std::nan(""), 0.0, -1.0}) {
        options.max_dist = bad;
        EXPECT_THROW(evaluate_bsds(dir / "pred", dir / "gt", options), UsageError) << bad;
    }
}

TEST(Hed, AMalformedCropLayerIsAnErrorAndConcurrentCallsAgree) {
    test::TempDir dir;
    write_random_hed_caffemodel(dir / "random.caffemodel", 3);
    // A deploy.prototxt beside the weights is not read: this one would not even parse.
    test::write_bytes(dir / "deploy.prototxt", "layer { this is not a network");
    auto hed = make_hed_detector(dir / "random.caffemodel", HedOptions{64, 32});  // registers Crop
    const std::string proto =
        "name: 'x'\ninput: 'data'\ninput_shape { dim: 1 dim: 1 dim: 8 dim: 8 }\n"
        "layer { name: 'crop' type: 'Crop' bottom: 'data' top: 'out' }\n";
    std::vector<uchar> text(proto.begin(), proto.end());
    EXPECT_THROW(
        {
            cv::dnn::Net net = cv::dnn::readNetFromCaffe(text);
            net.setInput(cv::Mat(std::vector<int>{1, 1, 8, 8}, CV_32F, cv::Scalar(0.5)));
            net.forward();
        },
        cv::Exception);
    // Four threads on one detector give each the map a lone call gives.
    std::vector<cv::Mat> images(4), alone(4), together(4);
    for (int i = 0; i < 4; ++i) {
        images[i] = cv::Mat(40 + 4 * i, 48, CV_8UC3);
        cv::randu(images[i], 0, 255);
        alone[i] = hed->probability(images[i]);
    }
    for (int round = 0; round < 3; ++round) {
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) threads.emplace_back([&, i] { together[i] = hed->probability(images[i]); });
        for (auto& t : threads) t.join();
        for (int i = 0; i < 4; ++i) EXPECT_EQ(cv::norm(alone[i], together[i], cv::NORM_INF), 0.0) << i;
    }
}

TEST(CheckpointState, CountersAreRangeCheckedBeforeUse) {
    CheckpointHeader h;
    h.model = "colorizer";
    h.state = {{"step", 5}, {"epoch", 1}, {"examples_in_epoch", 8}, {"world_size", 2}, {"seconds", 1.5},
               {"train", {{"data", "d"}, {"out", "o"}, {"steps", 9}, {"batch", 4}}}};
    const TrainingState ok = read_training_state(h, "c.pt");
    EXPECT_EQ(ok.step, 5);
    EXPECT_EQ(ok.world_size, 2);
    const std::vector<std::pair<std::string, nlohmann::json>> bad = {
        {"step", int64_t{1} << 50}, {"step", -1},          {"epoch", int64_t{1} << 41}, {"examples_in_epoch", -8},
        {"world_size", 0},          {"world_size", 1 << 20}, {"seconds", 1e300},          {"step", "five"},
        {"train", 3},               {"step", 3.8e49},      {"world_size", 1e30},        {"epoch", 2.0}};  // floats: found by fuzz_checkpoint
    for (const auto& [key, value] : bad) {
        CheckpointHeader b = h;
        b.state[key] = value;
        EXPECT_NE(error_of([&] { read_training_state(b, "c.pt"); }).find("c.pt"), std::string::npos) << key << " " << value;
    }
    // The old layout counted batches: a hostile batch_in_epoch cannot overflow the product.
    CheckpointHeader old = h;
    old.state.erase("examples_in_epoch");
    old.state["batch_in_epoch"] = int64_t{1} << 60;
    EXPECT_THROW(read_training_state(old, "c.pt"), Error);
    old.state["batch_in_epoch"] = 3;
    EXPECT_EQ(read_training_state(old, "c.pt").examples_in_epoch, 12);
    old.state["train"]["batch"] = 1e40;
    EXPECT_THROW(read_training_state(old, "c.pt"), Error);
}

TEST(LossLog, AnAppendThatCannotBeWrittenOrDoesNotFitTheColumnsIsAnError) {
    test::TempDir dir;
    LossLog log(dir / "losses.csv", 0);
    log.append({1, 0, 0.1, 10.0, {}}, {{"G", 1.0}, {"D", 2.0}});
    EXPECT_NE(error_of([&] { log.append({2, 0, 0.2, 10.0, {}}, {{"D", 2.0}, {"G", 1.0}}); }).find("columns"),
              std::string::npos);
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    rlimit small = saved;
    small.rlim_cur = static_cast<rlim_t>(fs::file_size(dir / "losses.csv"));
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const std::string message = error_of([&] { log.append({2, 0, 0.2, 10.0, {}}, {{"G", 1.0}, {"D", 2.0}}); });
    ::setrlimit(RLIMIT_FSIZE, &saved);
    EXPECT_NE(message.find("losses.csv"), std::string::npos) << message;
}

TEST(ExceptionText, LibTorchErrorsLoseTheirBacktrace) {
    try {
        TORCH_CHECK(false, "a LibTorch failure");
    } catch (const std::exception& e) {
        EXPECT_EQ(exception_text(e), "a LibTorch failure");
    }
    EXPECT_EQ(exception_text(std::bad_alloc()), "out of memory");
}

}  // namespace
}  // namespace ganvas
