#include "test_util.h"

#include "ganvas/core/error.h"
#include "ganvas/core/image.h"
#include "ganvas/data/image_folder.h"
#include "ganvas/data/loader.h"
#include "ganvas/data/synth.h"
#include "ganvas/eval/metrics.h"

#include <fmt/format.h>

#include <fstream>
#include <set>

namespace ganvas {
namespace fs = std::filesystem;
using test::TempDir;

namespace {
std::vector<fs::path> fake_files(const fs::path& root, int n) {
    std::vector<fs::path> files;
    for (int i = 0; i < n; ++i) files.push_back(root / fmt::format("img_{:04d}.jpg", i));
    return files;
}
}  // namespace

TEST(Split, DeterministicDisjointAndNearTheRatio) {
    const fs::path root = "/data";
    const auto files = fake_files(root, 2000);
    const SplitOptions opts{0.1, 5};
    const auto train = select_split(files, root, Split::Train, opts);
    const auto val = select_split(files, root, Split::Val, opts);
    EXPECT_EQ(train, select_split(files, root, Split::Train, opts));
    EXPECT_EQ(train.size() + val.size(), files.size());
    std::set<fs::path> seen(train.begin(), train.end());
    for (const auto& v : val) EXPECT_EQ(seen.count(v), 0u) << v;
    EXPECT_NEAR(static_cast<double>(val.size()) / files.size(), 0.1, 0.025);
    EXPECT_NE(val, select_split(files, root, Split::Val, SplitOptions{0.1, 6}));
    // A file keeps its side when others are added.
    auto more = files;
    more.push_back(root / "zzz_new.jpg");
    const auto val_more = select_split(more, root, Split::Val, opts);
    for (const auto& v : val) EXPECT_NE(std::find(val_more.begin(), val_more.end(), v), val_more.end());
}

TEST(Split, CelebaPartitionFileIsHonoured) {
    TempDir dir;
    std::ofstream(dir / "list_eval_partition.txt") << "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n000004.jpg 0\n";
    const auto files = fake_files(dir.path(), 0);
    std::vector<fs::path> celeba = {dir / "000001.jpg", dir / "000002.jpg", dir / "000003.jpg", dir / "000004.jpg"};
    EXPECT_EQ(select_split(celeba, dir.path(), Split::Train, {}), (std::vector<fs::path>{celeba[0], celeba[3]}));
    EXPECT_EQ(select_split(celeba, dir.path(), Split::Val, {}), (std::vector<fs::path>{celeba[1]}));
    EXPECT_EQ(select_split(celeba, dir.path(), Split::Test, {}), (std::vector<fs::path>{celeba[2]}));
    EXPECT_THROW(parse_split("dev"), UsageError);
}

TEST(Dataset, ColorizationExampleIsGrayInputAndColorTarget) {
    TempDir dir;
    test::write_tiny_images(dir.path(), 2, 24);
    ColorizationDataset ds(list_images(dir.path()), {16, false});
    const Example e = ds.get(0, 0);
    ASSERT_EQ(e.input.sizes(), (std::vector<int64_t>{3, 16, 16}));
    ASSERT_EQ(e.target.sizes(), (std::vector<int64_t>{3, 16, 16}));
    EXPECT_TRUE(e.input[0].equal(e.input[1]) && e.input[1].equal(e.input[2]));
    auto luma = 0.299 * e.target[0] + 0.587 * e.target[1] + 0.114 * e.target[2];
    EXPECT_LT((e.input[0] - luma).abs().max().item<double>(), 0.5 / 255.0 + 1e-6);
}

TEST(Loader, EpochOrderIsASeededPermutation) {
    const auto order = BatchLoader::epoch_order(50, 3, 0, true);
    std::set<size_t> unique(order.begin(), order.end());
    EXPECT_EQ(unique.size(), 50u);
    EXPECT_EQ(order, BatchLoader::epoch_order(50, 3, 0, true));
    EXPECT_NE(order, BatchLoader::epoch_order(50, 3, 1, true));
    EXPECT_NE(order, BatchLoader::epoch_order(50, 4, 0, true));
}

class LoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        test::write_tiny_images(dir_.path(), 10);
        dataset_ = std::make_shared<ColorizationDataset>(list_images(dir_.path()), ColorizationDataOptions{16, true});
    }
    std::vector<torch::Tensor> take(int workers, LoaderPosition start, int n) {
        BatchLoader loader(dataset_, {3, 11, true, workers, 2}, start);
        std::vector<torch::Tensor> out;
        for (int i = 0; i < n; ++i) out.push_back(loader.next().target);
        return out;
    }
    TempDir dir_;
    std::shared_ptr<ColorizationDataset> dataset_;
};

TEST_F(LoaderTest, SameBatchesWhateverTheWorkerCount) {
    const auto one = take(1, {}, 7), three = take(3, {}, 7);
    for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(one[i].equal(three[i])) << "batch " << i;
}

TEST_F(LoaderTest, StartingMidwayGivesTheSameBatchesAsContinuing) {
    // 10 images, batch 3: 3 batches per epoch; position {1, 3} (epoch 1, 3 examples in) is batch 4.
    const auto full = take(2, {}, 8);
    const auto resumed = take(2, {1, 3}, 4);
    for (size_t i = 0; i < resumed.size(); ++i) EXPECT_TRUE(full[4 + i].equal(resumed[i])) << "batch " << i;
}

TEST_F(LoaderTest, CorruptFilesAreSkippedAndCounted) {
    test::write_bytes(dir_ / "zz_corrupt.png", "garbage");
    auto files = list_images(dir_.path());
    auto ds = std::make_shared<ColorizationDataset>(files, ColorizationDataOptions{16, false});
    BatchLoader loader(ds, {11, 0, false, 2, 1});
    const Batch b = loader.next();  // all 11 positions, one of them the corrupt file
    EXPECT_EQ(b.size(), 11);
    EXPECT_EQ(loader.failed_files(), 1);
    EXPECT_EQ(loader.position().epoch, 1);
}

TEST_F(LoaderTest, FewerImagesThanABatchIsAnError) {
    EXPECT_THROW(BatchLoader(dataset_, {11, 0, true, 1, 1}), Error);
}

TEST(Synth, DeterministicColorfulAndVaried) {
    const cv::Mat a = synth_image(1, 0, 32), b = synth_image(1, 0, 32), c = synth_image(1, 1, 32);
    EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
    EXPECT_GT(cv::norm(a, c, cv::NORM_L1), 0.0);
    double colorful = 0;
    for (int i = 0; i < 20; ++i) colorful += colorfulness_u8(synth_image(3, i, 32)) / 20;
    EXPECT_GT(colorful, 20.0);
    TempDir dir;
    EXPECT_EQ(write_synth_dataset(dir.path(), 3, 16, 1), 3);
    EXPECT_EQ(list_images(dir.path()).size(), 3u);
    EXPECT_THROW(write_synth_dataset(dir.path(), 0, 16, 1), UsageError);
}

}  // namespace ganvas
